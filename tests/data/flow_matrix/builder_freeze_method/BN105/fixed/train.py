import torch

import retinanet


def main(loader, epochs):
    model = retinanet.resnet18(classes=80, pretrained=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    model.freeze_bn()
    for epoch in range(epochs):
        model.train()
        model.freeze_bn()
        for images, targets in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images), targets)
            loss.backward()
            optimizer.step()
