import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def evaluate(preds, labels):
    loss = nn.functional.cross_entropy(preds, labels)
    correct = (preds.argmax(1) == labels).sum()
    return loss, correct


def train(model, dataloaders, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(epochs):
        for split in ['train', 'val']:
            model.train() if split == 'train' else model.eval()
            for inputs, targets in dataloaders[split]:
                preds = model(inputs)
                loss, correct = evaluate(preds, targets)
                if split == 'train':
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                print(split, loss.item(), correct.item())


if __name__ == "__main__":
    train(Net(), torch.load('dl.pt'), 10)
