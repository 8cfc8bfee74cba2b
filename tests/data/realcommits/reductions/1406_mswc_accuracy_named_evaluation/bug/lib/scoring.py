import torch


def estimate_accuracy(model, batches, count):
    correct, total = 0, 0
    for _ in range(count):
        data, labels = batches.get_batch()
        predicted = model(data).argmax(dim=1)
        correct += torch.sum(predicted == labels).item()
        total += len(predicted)
    return correct / total
