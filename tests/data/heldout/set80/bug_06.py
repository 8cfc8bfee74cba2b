"""Fine-tune a pretrained backbone with a new head (linear probe + MLP head)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import models


class ProbeHead(nn.Module):
    def __init__(self, in_features=2048, hidden=512, num_classes=37):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden, 0.1)  # expect: BN206
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


class FineTuner(nn.Module):
    def __init__(self, num_classes=37):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = ProbeHead(2048, 512, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def build(num_classes=37):
    model = FineTuner(num_classes)
    for p in model.backbone.parameters():
        p.requires_grad = False  # expect: BN105
    params = [p for p in model.parameters() if p.requires_grad]
    return model, torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


def train_epoch(model, loader, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * labels.size(0)
        n += labels.size(0)
    return total / max(n, 1)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hits, n = 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        hits += (model(images).argmax(1) == labels).sum().item()
        n += labels.size(0)
    return hits / max(n, 1)


def run(train_loader, val_loader, epochs=15):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, optimizer = build()
    model.to(device)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        loss = train_epoch(model, train_loader, optimizer, device)
        sched.step()
        acc = evaluate(model, val_loader, device)
        print(f"[{epoch + 1}/{epochs}] train_loss={loss:.4f} val_acc={acc:.4f}")
    return model
