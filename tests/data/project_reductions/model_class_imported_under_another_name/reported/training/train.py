import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from models.st_gcn_twostream import Model as FourStreamSTGCN

BATCH_SIZE = 8


def train_fold(train_set, num_classes):
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=0)
    model = FourStreamSTGCN(num_classes)
    optimizer = torch.optim.AdamW(model.parameters())
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
