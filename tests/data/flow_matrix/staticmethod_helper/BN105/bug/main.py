import torch
import torch.nn as nn
import torch.nn.functional as F

from nets import Net
from tools import ModelUtils

backbone = ModelUtils.freeze(Net())
backbone.fc = nn.Identity()
head = nn.Linear(32, 5)
optimizer = torch.optim.Adam(head.parameters())
for epoch in range(10):
    backbone.train()
    for images, labels in torch.load("loader.pt"):
        loss = F.cross_entropy(head(backbone(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
