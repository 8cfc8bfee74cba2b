"""ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 256])

My scanned documents all have different sizes, so I can't stack them into a
batch and I train with one image per step. The crash happens on the very first
iteration, in the classifier head (traceback ends in F.batch_norm).
Evaluation with the same loader settings works fine.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class DocumentDataset(Dataset):
    def __init__(self, root, transform=None):
        self.classes = sorted(os.listdir(root))
        self.samples = []
        for idx, cls in enumerate(self.classes):
            for fname in sorted(os.listdir(os.path.join(root, cls))):
                self.samples.append((os.path.join(root, cls, fname), idx))
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        img = Image.open(path).convert("L")
        if self.transform is not None:
            img = self.transform(img)
        return img, label


class DocClassifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(128, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for img, label in loader:
            pred = model(img.to(device)).argmax(1)
            correct += (pred.cpu() == label).sum().item()
    return correct / len(loader.dataset)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train_set = DocumentDataset("scans/train", transform=tf)
    val_set = DocumentDataset("scans/val", transform=tf)

    train_loader = DataLoader(train_set, batch_size=1, shuffle=True, num_workers=2)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=2)

    model = DocClassifier(num_classes=len(train_set.classes)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-4)

    for epoch in range(20):
        model.train()
        running = 0.0
        for step, (img, label) in enumerate(train_loader):
            img, label = img.to(device), label.to(device)
            loss = F.cross_entropy(model(img), label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
            if step % 200 == 199:
                print(f"epoch {epoch} step {step + 1} loss {running / 200:.4f}")
                running = 0.0
        print(f"epoch {epoch} val acc {evaluate(model, val_loader, device):.4f}")

    torch.save(model.state_dict(), "doc_classifier.pth")


if __name__ == "__main__":
    main()
