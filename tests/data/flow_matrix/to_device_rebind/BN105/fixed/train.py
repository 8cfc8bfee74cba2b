import torch
import torch.nn as nn
from torchvision.models import resnet18
from pkg.adapter import AdapterBackbone


def train(loader, device):
    backbone = resnet18()
    ab = AdapterBackbone(backbone)
    model = nn.Sequential(ab, nn.Linear(64, 2))
    model = model.to(device)
    optimizer = torch.optim.AdamW(ab.adapter.parameters())
    for epoch in range(10):
        model.train()
        ab.backbone.eval()
        for x, y in loader:
            optimizer.zero_grad()
            loss = model(x).sum()
            loss.backward()
            optimizer.step()
