import torch
import torch.nn.functional as F

from model import build


def finetune(loader, classes=5, epochs=8):
    net = build(classes)
    frozen = tuple(net.features.parameters())
    for weight in frozen:
        weight.requires_grad = False
    opt = torch.optim.SGD(net.classifier.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(epochs):
        net.train()
        for images, labels in loader:
            loss = F.cross_entropy(net(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net
