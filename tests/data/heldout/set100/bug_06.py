"""Image classifier with an exponential moving average (EMA) of the weights.

The EMA copy is what gets shipped; test predictions come from it.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Block(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class Net(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.blocks = nn.Sequential(Block(3, 64), Block(64, 128), Block(128, 256))
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(self.blocks(x).mean(dim=(2, 3)))


@torch.no_grad()
def update_ema(ema, model, decay):
    model_state = model.state_dict()
    for name, value in ema.state_dict().items():
        src = model_state[name].detach()
        if value.dtype.is_floating_point:
            value.mul_(decay).add_(src, alpha=1.0 - decay)
        else:
            value.copy_(src)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


@torch.inference_mode()
def predict_with_ema(ema, loader):
    preds = []
    for x, _ in loader:
        preds.append(ema(x).argmax(dim=1))  # expect: BN101
    return torch.cat(preds)


def main():
    tf_train = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
    ])
    tf_test = transforms.ToTensor()
    train_set = datasets.CIFAR100("./data", train=True, download=True, transform=tf_train)
    val_set = datasets.CIFAR100("./data", train=False, download=True, transform=tf_test)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, num_workers=4)

    model = Net()
    ema_model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    decay = 0.999

    for epoch in range(60):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_ema(ema_model, model, decay)
        print(f"epoch {epoch}: student val acc {evaluate(model, val_loader):.4f}")

    preds = predict_with_ema(ema_model, val_loader)
    labels = torch.tensor(val_set.targets)
    print(f"EMA val acc {(preds == labels).float().mean().item():.4f}")
    torch.save(ema_model.state_dict(), "net_ema.pt")


if __name__ == "__main__":
    main()
