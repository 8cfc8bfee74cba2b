"""Training stalls after epoch 1 once I added validation with flip TTA

Plant-disease classifier, 38 classes. Before adding the per-epoch validation
(with horizontal/vertical flip test-time augmentation) the train loss went
from 3.6 to 0.3 over 15 epochs. Now epoch 1 looks the same as before, but from
epoch 2 on the train loss barely moves and val accuracy is stuck around 40%.
The validation code is wrapped in torch.no_grad(), so it shouldn't affect the
weights?

EDIT: solved - model.train() has to be called at the start of every epoch.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class PlantNet(nn.Module):
    def __init__(self, num_classes=38):
        super().__init__()
        self.features = nn.Sequential(block(3, 32), block(32, 64), block(64, 128), block(128, 256))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def tta_logits(model, images):
    views = [images, torch.flip(images, dims=[3]), torch.flip(images, dims=[2])]
    return torch.stack([F.softmax(model(v), dim=1) for v in views]).mean(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="plantvillage")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--bs", type=int, default=32)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(128), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(146), transforms.CenterCrop(128), transforms.ToTensor(), norm])
    train_loader = DataLoader(datasets.ImageFolder(f"{args.root}/train", train_tf),
                              batch_size=args.bs, shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(datasets.ImageFolder(f"{args.root}/val", val_tf),
                            batch_size=64, num_workers=6)

    model = PlantNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))

    for epoch in range(args.epochs):
        model.train()
        running, n = 0.0, 0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * images.size(0)
            n += images.size(0)

        model.eval()
        correct, total = 0, 0
        with torch.no_grad():
            for images, labels in val_loader:
                images, labels = images.to(device), labels.to(device)
                correct += (tta_logits(model, images).argmax(1) == labels).sum().item()
                total += labels.numel()
        print(f"epoch {epoch + 1}: train loss {running / n:.4f}, val acc (TTA) {correct / total:.4f}")

    torch.save(model.state_dict(), "plantnet.pth")


if __name__ == "__main__":
    main()
