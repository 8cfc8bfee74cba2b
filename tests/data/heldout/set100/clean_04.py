"""Hyper-parameter sweep over a list of models; the winner is fused and traced.

evaluate() leaves every candidate in eval mode, which conv-BN fusion requires.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=False)


class Candidate(nn.Module):
    def __init__(self, widths, num_classes=10):
        super().__init__()
        blocks, in_ch = [], 3
        for i, w in enumerate(widths):
            blocks.append(ConvBNReLU(in_ch, w, stride=2 if i > 0 else 1))
            in_ch = w
        self.features = nn.Sequential(*blocks)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def train_model(model, loader, epochs, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train_loader = DataLoader(datasets.CIFAR10("./data", True, tf, download=True),
                              batch_size=128, shuffle=True, drop_last=True)
    val_loader = DataLoader(datasets.CIFAR10("./data", False, tf, download=True), batch_size=500)

    configs = [(32, 64, 128), (64, 128, 256), (32, 64, 128, 256)]
    learning_rates = [0.05, 0.1]
    candidates, scores = [], []
    for widths in configs:
        for lr in learning_rates:
            model = Candidate(widths)
            train_model(model, train_loader, epochs=10, lr=lr)
            acc = evaluate(model, val_loader)
            print(f"widths={widths} lr={lr}: {acc:.4f}")
            candidates.append(model)
            scores.append(acc)

    best_idx = max(range(len(scores)), key=scores.__getitem__)
    best = candidates[best_idx]
    groups = [[f"features.{i}.conv", f"features.{i}.bn", f"features.{i}.relu"]
              for i in range(len(best.features))]
    fused = fuse_modules(best, groups)
    traced = torch.jit.trace(fused, torch.randn(1, 3, 32, 32))
    traced.save("best_candidate_fused.pt")
    print(f"best: #{best_idx} acc {scores[best_idx]:.4f}")


if __name__ == "__main__":
    main()
