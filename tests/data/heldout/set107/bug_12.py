"""Linear-probe a pretrained MobileNet-style backbone on the parcel dataset, then
trace it for the sorting-robot runtime."""
import argparse
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def conv_bn(inp, oup, stride):
    return nn.Sequential(
        nn.Conv2d(inp, oup, 3, stride, 1, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


def conv_dw(inp, oup, stride):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
        nn.BatchNorm2d(inp),
        nn.ReLU6(inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


class MobileNetV1(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 32, 2),
            conv_dw(32, 64, 1),
            conv_dw(64, 128, 2),
            conv_dw(128, 128, 1),
            conv_dw(128, 256, 2),
            conv_dw(256, 256, 1),
            conv_dw(256, 512, 2),
            nn.AdaptiveAvgPool2d(1),
        )
        self.out_features = 512

    def forward(self, x):
        return torch.flatten(self.features(x), 1)


class ParcelClassifier(nn.Module):
    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_features, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/parcels/train")
    parser.add_argument("--backbone-weights", default="weights/mbv1_imagenet_features.pth")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--out", default="parcel_classifier_ts.pt")
    args = parser.parse_args()

    tfm = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    dataset = datasets.ImageFolder(args.data, transform=tfm)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=4, pin_memory=True)

    backbone = MobileNetV1()
    backbone.load_state_dict(torch.load(args.backbone_weights, map_location="cpu"))
    model = ParcelClassifier(backbone, num_classes=len(dataset.classes))

    # linear probe: only the head is trained
    for p in model.backbone.parameters():
        p.requires_grad = False  # expect: BN105

    optimizer = torch.optim.SGD(model.head.parameters(), lr=args.lr, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        start, seen, loss_sum = time.time(), 0, 0.0
        for images, targets in loader:
            logits = model(images)
            loss = criterion(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * images.size(0)
            seen += images.size(0)
        print(f"epoch {epoch + 1}/{args.epochs} loss {loss_sum / seen:.4f} ({time.time() - start:.0f}s)")

    example = torch.randn(1, 3, 224, 224)
    traced = torch.jit.trace(model, example)  # expect: BN104
    traced.save(args.out)
    print("saved TorchScript model to", args.out)


if __name__ == "__main__":
    main()
