"""Train a MobileNet-style classifier and ship it as TorchScript for the mobile app."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(in_ch, in_ch, 3, stride=stride, padding=1, groups=in_ch, bias=False)
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.pw = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        x = F.relu6(self.bn1(self.dw(x)))
        return F.relu6(self.bn2(self.pw(x)))


class MobileNetLite(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU6(inplace=True),
        )
        self.layers = nn.Sequential(
            DepthwiseSeparable(32, 64),
            DepthwiseSeparable(64, 128, stride=2),
            DepthwiseSeparable(128, 128),
            DepthwiseSeparable(128, 256, stride=2),
            DepthwiseSeparable(256, 256),
        )
        self.classifier = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def train(model, loader, epochs, lr):
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=0.9, weight_decay=4e-5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
        scheduler.step()
        print(f"epoch {epoch}: loss {running / len(loader):.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/gestures")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=96)
    parser.add_argument("--out", default="mobilenet_lite.ptl")
    args = parser.parse_args()

    tf = transforms.Compose([
        transforms.Resize((128, 128)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize((0.5,) * 3, (0.5,) * 3),
    ])
    dataset = datasets.ImageFolder(args.data, transform=tf)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                        num_workers=4, drop_last=True)

    model = MobileNetLite(num_classes=len(dataset.classes))
    train(model, loader, args.epochs, lr=0.01)

    model.eval  # expect: BN102
    example = torch.rand(1, 3, 128, 128)
    scripted = torch.jit.trace(model, example)  # expect: BN104
    scripted.save(args.out)
    print(f"saved TorchScript model to {args.out}")


if __name__ == "__main__":
    main()
