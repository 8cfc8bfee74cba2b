import torch.nn.functional as F


def step(model, images, labels, optimizer):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def run_epoch(model, loader, optimizer):
    for images, labels in loader:
        step(model, images, labels, optimizer)


def train(model, loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        run_epoch(model, loader, optimizer)
