import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


def synth(student, targets):
    student.eval()
    return student(targets)


def batches(student, data):
    for images, labels in data:
        yield synth(student, images).detach(), labels


def main(data):
    student = Net()
    opt = torch.optim.SGD(student.parameters(), lr=0.1)
    for epoch in range(10):
        student.train()
        for images, labels in batches(student, data):
            loss = student(images).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
