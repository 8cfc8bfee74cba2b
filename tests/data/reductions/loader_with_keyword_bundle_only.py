import torch.nn as nn
from torch.utils.data import DataLoader


class ImagePool(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return self.pool(x)


def train(train_set, optimizer, **kwargs):
    model = ImagePool(3, 8)
    model.train()
    for images, masks in DataLoader(train_set, batch_size=8, shuffle=True, **kwargs):
        loss = nn.functional.mse_loss(model(images), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
