import torch
import torch.nn as nn
import torch.nn.functional as F

from models import ResNet8


def finetune(loader, epochs=3):
    backbone = ResNet8()
    backbone.load_state_dict(torch.load("pretrained.pt"))
    backbone.fc = nn.Identity()
    backbone.requires_grad_(False)
    model = nn.Sequential(backbone, nn.Linear(64, 5))
    optimizer = torch.optim.SGD(model[1].parameters(), lr=0.01)
    for epoch in range(epochs):
        model.train()
        backbone.eval()
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
