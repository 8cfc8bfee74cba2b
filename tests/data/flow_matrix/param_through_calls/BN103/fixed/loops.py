import torch.nn.functional as F


def step(model, images, labels, optimizer):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def run_epoch(model, loader, optimizer):
    for images, labels in loader:
        step(model, images, labels, optimizer)


def evaluate(model, loader):
    model.eval()
    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)


def fit(model, train_loader, val_loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        run_epoch(model, train_loader, optimizer)
        print(epoch, evaluate(model, val_loader))
