"""Pick the best of a few conv-net configurations and export it with torch.export."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

EPOCHS = 15
BATCH_SIZE = 128


class ConvNet(nn.Module):
    def __init__(self, width, depth, num_classes=10):
        super().__init__()
        layers = []
        in_ch = 3
        for i in range(depth):
            layers.append(nn.Conv2d(in_ch, width, 3, padding=1, bias=False))
            layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU(inplace=True))
            if i % 2 == 1:
                layers.append(nn.MaxPool2d(2))
            in_ch = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))

    def forward(self, x):
        return self.head(self.body(x))


def train_model(model, loader, epochs, lr):
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * len(loader))
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model


def build_loaders(root):
    tf = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
    ])
    full = datasets.SVHN(root, split="train", download=True, transform=tf)
    n_val = len(full) // 10
    train_set, val_set = random_split(full, [len(full) - n_val, n_val],
                                      generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=512, num_workers=4)
    return train_loader, val_loader


def main():
    train_loader, val_loader = build_loaders("./data")
    candidates = {
        "narrow": ConvNet(width=32, depth=4),
        "base": ConvNet(width=64, depth=4),
        "deep": ConvNet(width=64, depth=6),
    }
    for name, net in candidates.items():
        print(f"training {name}")
        train_model(net, train_loader, epochs=EPOCHS, lr=0.05)

    scores = {}
    with torch.no_grad():
        for name, net in candidates.items():
            correct = total = 0
            for x, y in val_loader:
                pred = net(x).argmax(dim=1)  # expect: BN101
                correct += (pred == y).sum().item()
                total += y.numel()
            scores[name] = correct / total
            print(f"{name}: val acc {scores[name]:.4f}")

    best_name = max(scores, key=scores.get)
    best = candidates[best_name]
    example = (torch.randn(1, 3, 32, 32),)
    program = torch.export.export(best, example)  # expect: BN104
    torch.export.save(program, f"svhn_{best_name}.pt2")
    print(f"exported {best_name}")


if __name__ == "__main__":
    main()
