"""FGVC-Aircraft fine-tuning at 448px with FrozenBatchNorm2d (detectron-style).

Batch statistics at this resolution are too noisy to update, so the backbone
is built with torchvision's FrozenBatchNorm2d: the affine transform and the
running statistics are fixed buffers, whatever mode the model is in. The stem
and res2 stage are frozen as well (FREEZE_AT = 2).
"""
import argparse
import functools
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet50, ResNet50_Weights
from torchvision.ops import FrozenBatchNorm2d

FREEZE_AT = 2
log = logging.getLogger("fgvc")


def build_backbone():
    norm = functools.partial(FrozenBatchNorm2d, eps=1e-5)
    net = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1, norm_layer=norm)
    stages = [nn.Sequential(net.conv1, net.bn1), net.layer1, net.layer2, net.layer3, net.layer4]
    for stage in stages[:FREEZE_AT]:
        stage.requires_grad_(False)
    net.fc = nn.Identity()
    return net


class AircraftNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.backbone = build_backbone()
        self.proj = nn.Sequential(nn.Linear(2048, 512, bias=False), nn.GroupNorm(32, 512), nn.ReLU(inplace=True))
        self.cls = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.cls(self.proj(self.backbone(x)))


def evaluate(model, loader, device):
    model.eval()
    correct = count = 0
    with torch.inference_mode():
        for img, tgt in loader:
            img, tgt = img.to(device), tgt.to(device)
            correct += (model(img).argmax(dim=1) == tgt).sum().item()
            count += tgt.numel()
    model.train()
    return correct / count


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/fgvc-aircraft-2013b/by_variant")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=12)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_ds = datasets.ImageFolder(os.path.join(args.root, "trainval"), transforms.Compose([transforms.Resize((512, 512)), transforms.RandomCrop(448), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    test_ds = datasets.ImageFolder(os.path.join(args.root, "test"), transforms.Compose([transforms.Resize((512, 512)), transforms.CenterCrop(448), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=32, num_workers=8)

    model = AircraftNet(len(train_ds.classes)).to(device)
    backbone_params = [p for p in model.backbone.parameters() if p.requires_grad]
    head_params = list(model.proj.parameters()) + list(model.cls.parameters())
    optimizer = torch.optim.SGD([{"params": backbone_params, "lr": args.lr}, {"params": head_params, "lr": args.lr * 10}], momentum=0.9, weight_decay=1e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    model.train()
    for epoch in range(args.epochs):
        for step, (img, tgt) in enumerate(train_loader):
            img, tgt = img.to(device), tgt.to(device)
            loss = F.cross_entropy(model(img), tgt, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 50 == 0:
                log.info("ep %d it %d loss %.4f", epoch, step, loss.item())
        scheduler.step()
        if (epoch + 1) % 5 == 0:
            acc = evaluate(model, test_loader, device)
            log.info("ep %d test acc %.4f", epoch, acc)
            torch.save(model.state_dict(), f"aircraft_r50_ep{epoch + 1}.pth")


if __name__ == "__main__":
    main()
