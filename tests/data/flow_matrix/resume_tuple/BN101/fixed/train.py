def train_epoch(data_loader, model, criterion, optimizer):
    model.train()
    for inputs, targets in data_loader:
        loss = criterion(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
