import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten())

    def forward(self, x):
        return self.body(x)


def trades_loss(model, x_natural, y, optimizer, steps=10, step_size=0.007):
    x_adv = x_natural.detach() + 0.001 * torch.randn(x_natural.shape)
    for _ in range(steps):
        x_adv.requires_grad_()
        with torch.no_grad():
            loss_kl = F.kl_div(F.log_softmax(model(x_adv), dim=1), F.softmax(model(x_natural), dim=1))
        grad = torch.autograd.grad(loss_kl, [x_adv])[0]
        x_adv = x_adv.detach() + step_size * torch.sign(grad.detach())
    optimizer.zero_grad()
    logits = model(x_natural)
    return F.cross_entropy(logits, y) + F.kl_div(F.log_softmax(model(x_adv), dim=1), F.softmax(logits, dim=1))


def train(model, loader, optimizer):
    model.train()
    for x, y in loader:
        loss = trades_loss(model, x, y, optimizer)
        loss.backward()
        optimizer.step()


def main(loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train(model, loader, optimizer)
