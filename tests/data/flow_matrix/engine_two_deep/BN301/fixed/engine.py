import torch.nn.functional as F


def train_step(model, batch, optimizer):
    model.train()
    images, labels = batch
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_one_epoch(model, loader, optimizer):
    total = 0.0
    for batch in loader:
        total += train_step(model, batch, optimizer)
    return total / len(loader)
