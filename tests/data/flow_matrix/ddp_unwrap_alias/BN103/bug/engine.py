def train_one_epoch(model, loader, optimizer):
    for images, targets in loader:
        loss = model(images, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(model, loader):
    return sum(float(model(images, targets)) for images, targets in loader)
