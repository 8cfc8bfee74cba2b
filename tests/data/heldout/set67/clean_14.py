"""Linear-probe style transfer learning: a frozen ImageNet ResNet-18 feature extractor
with a small trainable MLP head for a 37-class pet breed dataset."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import ResNet18_Weights, resnet18

FEATURE_DIM = 512
HEAD_DIM = 256


class PetClassifier(nn.Module):
    def __init__(self, num_classes=37):
        super().__init__()
        backbone = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.backbone.requires_grad_(False)
        self.head = nn.Sequential(
            nn.Linear(FEATURE_DIM, HEAD_DIM, bias=False),
            nn.BatchNorm1d(HEAD_DIM),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(HEAD_DIM, num_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def set_train_mode(model: PetClassifier) -> None:
    """Train the head only; the frozen backbone keeps its ImageNet running statistics."""
    model.train()
    model.backbone.eval()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(images.to(device))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="./data")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    weights = ResNet18_Weights.IMAGENET1K_V1
    eval_tf = weights.transforms()
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.5, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(weights.transforms().mean, weights.transforms().std),
    ])
    train_set = datasets.OxfordIIITPet(args.root, split="trainval", transform=train_tf, download=True)
    test_set = datasets.OxfordIIITPet(args.root, split="test", transform=eval_tf, download=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=6, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=6)

    model = PetClassifier().to(device)
    optimizer = torch.optim.Adam(model.head.parameters(), lr=1e-3)

    for epoch in range(args.epochs):
        set_train_mode(model)
        running = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch:02d}: loss {running / len(train_loader):.4f}, test acc {acc:.4f}")

    torch.save(model.head.state_dict(), "pet_head.pt")


if __name__ == "__main__":
    main()
