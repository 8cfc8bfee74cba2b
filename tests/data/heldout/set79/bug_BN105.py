"""Fine-grained bird species classifier: linear-probe + head fine-tuning on top
of a backbone pre-trained on a large generic photo corpus."""
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.SiLU(inplace=True),
        )


class Backbone(nn.Module):
    out_dim = 512

    def __init__(self):
        super().__init__()
        widths = [32, 64, 128, 256, 512]
        layers = [ConvBNAct(3, widths[0], stride=2)]
        for cin, cout in zip(widths[:-1], widths[1:]):
            layers += [ConvBNAct(cin, cout, stride=2), ConvBNAct(cout, cout)]
        self.body = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return torch.flatten(self.pool(self.body(x)), 1)


class BirdClassifier(nn.Module):
    def __init__(self, num_classes: int, backbone_ckpt: str | None = None):
        super().__init__()
        self.backbone = Backbone()
        if backbone_ckpt:
            self.backbone.load_state_dict(torch.load(backbone_ckpt, map_location="cpu"))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(Backbone.out_dim, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))


def freeze_backbone(model: BirdClassifier) -> None:
    for p in model.backbone.parameters():
        p.requires_grad = False
    for m in model.backbone.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def make_loaders(root: Path, batch_size: int = 48):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.35, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm,
    ])
    test_tf = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm,
    ])
    train_set = datasets.ImageFolder(root / "train", train_tf)
    test_set = datasets.ImageFolder(root / "test", test_tf)
    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=8, drop_last=True),
            DataLoader(test_set, batch_size=128, num_workers=8),
            len(train_set.classes))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hits = n = 0
    for x, y in loader:
        hits += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        n += y.numel()
    return hits / n


def finetune(model, train_loader, test_loader, epochs, device):
    freeze_backbone(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        model.train()  # expect: BN105
        seen, loss_sum = 0, 0.0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += y.numel()
            loss_sum += loss.item() * y.numel()
        scheduler.step()
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch + 1:3d}  loss {loss_sum / seen:.4f}  top1 {acc:.4f}")
    return model


if __name__ == "__main__":
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader, test_loader, n_cls = make_loaders(Path("/data/cub200"))
    net = BirdClassifier(n_cls, backbone_ckpt="weights/backbone_in1k.pt").to(device)
    net = finetune(net, train_loader, test_loader, epochs=30, device=device)
    torch.save(net.state_dict(), "bird_head.pt")
