import torch


def val_epoch(data_loader, model, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for inputs, targets in data_loader:
            outputs = model(inputs)
            total += criterion(outputs, targets).item()
    return total
