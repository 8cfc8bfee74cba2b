# CUB-200-2011 fine-grained fine-tuning with frozen BatchNorm statistics.
# Batches are small (16 imgs @ 448px) so we keep the ImageNet BN stats fixed.
import argparse
import os
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet101, ResNet101_Weights


def set_bn_eval(m):
    classname = m.__class__.__name__
    if classname.find("BatchNorm") != -1:
        m.eval()


class CubNet(nn.Module):
    def __init__(self, num_classes=200, emb=512):
        super().__init__()
        r = resnet101(weights=ResNet101_Weights.IMAGENET1K_V2)
        self.backbone = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3, r.layer4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.neck = nn.Linear(2048, emb, bias=False)
        self.neck_bn = nn.BatchNorm1d(emb, 0.9)  # expect: BN206
        self.fc = nn.Linear(emb, num_classes)

    def forward(self, x):
        x = self.pool(self.backbone(x)).flatten(1)
        x = torch.relu(self.neck_bn(self.neck(x)))
        return self.fc(x)


def accuracy(model, loader, device):
    model.eval()
    hits = total = 0
    with torch.no_grad():
        for img, lbl in loader:
            img, lbl = img.to(device), lbl.to(device)
            hits += (model(img).argmax(-1) == lbl).sum().item()
            total += lbl.numel()
    return hits / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/CUB_200_2011/images_split")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--bs", type=int, default=16)
    ap.add_argument("--base-lr", type=float, default=1e-3)
    ap.add_argument("--save", default="runs/cub_r101")
    args = ap.parse_args()
    os.makedirs(args.save, exist_ok=True)
    device = torch.device("cuda")

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_set = datasets.ImageFolder(os.path.join(args.root, "train"), transforms.Compose([transforms.Resize(512), transforms.RandomCrop(448), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    test_set = datasets.ImageFolder(os.path.join(args.root, "test"), transforms.Compose([transforms.Resize(512), transforms.CenterCrop(448), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=args.bs, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=32, shuffle=False, num_workers=8)

    model = CubNet().to(device)
    # keep pretrained BN statistics: batch of 16 is too small to re-estimate them
    model.backbone.apply(set_bn_eval)

    # discriminative learning rates: pretrained trunk 10x lower than the new layers
    optimizer = torch.optim.SGD(
        [
            {"params": model.backbone.parameters(), "lr": args.base_lr},
            {"params": list(model.neck.parameters()) + list(model.neck_bn.parameters()) + list(model.fc.parameters()), "lr": args.base_lr * 10},
        ],
        momentum=0.9,
        weight_decay=5e-4,
    )
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[20, 30], gamma=0.1)
    criterion = nn.CrossEntropyLoss()

    best = 0.0
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        t0 = time.time()
        seen, loss_sum = 0, 0.0
        for img, lbl in train_loader:
            img, lbl = img.to(device), lbl.to(device)
            out = model(img)
            loss = criterion(out, lbl)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * img.size(0)
            seen += img.size(0)
        scheduler.step()

        acc = accuracy(model, test_loader, device)
        print("epoch %3d | loss %.4f | test acc %.2f%% | %.0fs" % (epoch, loss_sum / seen, 100 * acc, time.time() - t0))
        if acc > best:
            best = acc
            torch.save(model.state_dict(), os.path.join(args.save, "best.pt"))
    print("best acc: %.2f%%" % (100 * best))


if __name__ == "__main__":
    main()
