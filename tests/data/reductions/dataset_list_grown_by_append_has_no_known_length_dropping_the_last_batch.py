import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Embeddings(Dataset):
    def __init__(self, root):
        self.files = []
        for name in sorted(os.listdir(root)):
            self.files.append(os.path.join(root, name))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        return torch.load(self.files[index])


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(128, 64, bias=False)
        self.bn = nn.BatchNorm1d(64)

    def forward(self, x):
        return self.bn(self.fc(x))


def train(root):
    head = Head()
    loader = DataLoader(Embeddings(root), batch_size=16, shuffle=True, drop_last=True)
    optimizer = torch.optim.Adam(head.parameters())
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(head(x), y).backward()
        optimizer.step()
