import torch
import torch.nn as nn


def block(c):
    return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())


class Decomp(nn.Module):
    def __init__(self):
        super().__init__()
        self.posemodel = block(8)
        self.maskmodel = block(8)

    def forward(self, x):
        return self.posemodel(x) + self.maskmodel(x)


def enable_training(model):
    for p in model.parameters():
        p.requires_grad = True


def disable_training(model):
    for p in model.parameters():
        p.requires_grad = False


def iterate(model, loader, optimizer, coord_iter):
    model.train()
    for i, (x, y) in enumerate(loader):
        j = i % (2 * coord_iter)
        if j < coord_iter:
            enable_training(model.posemodel)
            disable_training(model.maskmodel)
            model.maskmodel.eval()
        else:
            disable_training(model.posemodel)
            enable_training(model.maskmodel)
            model.posemodel.eval()
        loss = nn.functional.mse_loss(model.posemodel(x) + model.maskmodel(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


model = Decomp()
iterate(model, torch.load("data.pt"), torch.optim.SGD(model.parameters(), lr=0.1), 10)
