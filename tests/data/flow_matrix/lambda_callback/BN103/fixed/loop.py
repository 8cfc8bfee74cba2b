import torch.nn.functional as F


def train(model, loader, optimizer, epochs, on_epoch_end=None):
    for epoch in range(epochs):
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if on_epoch_end is not None:
            on_epoch_end(epoch)
