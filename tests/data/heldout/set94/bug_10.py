"""High-resolution multi-label tagging of satellite tiles.

Fine-tunes a pretrained backbone at 1024x1024, so the batch is small and the
backbone's BN statistics are meant to stay frozen.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from sklearn.metrics import average_precision_score
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

LABELS = ["agriculture", "road", "water", "cloud", "haze", "habitation",
          "cultivation", "bare_ground", "primary", "selective_logging"]


def conv_bn(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.Sequential(
            conv_bn(3, 32, 2), conv_bn(32, 32, 1),
            conv_bn(32, 64, 2), conv_bn(64, 64, 1),
            conv_bn(64, 128, 2), conv_bn(128, 128, 1),
            conv_bn(128, 256, 2), conv_bn(256, 256, 1),
            conv_bn(256, 512, 2), conv_bn(512, 512, 1),
        )

    def forward(self, x):
        return self.stages(x)


class Tagger(nn.Module):
    def __init__(self, num_labels=len(LABELS)):
        super().__init__()
        self.backbone = Backbone()
        self.neck = conv_bn(512, 512, 1)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(256, num_labels),
        )

    def forward(self, x):
        return self.head(self.neck(self.backbone(x)))


class TileDataset(Dataset):
    def __init__(self, root, csv_name, size=1024, train=True):
        self.root = root
        rows = [l.strip().split(",") for l in open(os.path.join(root, csv_name))][1:]
        self.names = [r[0] for r in rows]
        self.targets = np.array([[lbl in r[1].split() for lbl in LABELS] for r in rows],
                                dtype=np.float32)
        aug = [transforms.RandomHorizontalFlip(), transforms.RandomVerticalFlip()] if train else []
        self.tf = transforms.Compose(aug + [
            transforms.Resize(size), transforms.ToTensor(),
            transforms.Normalize([0.31, 0.34, 0.30], [0.17, 0.15, 0.14])])

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        img = Image.open(os.path.join(self.root, "tiles", self.names[i] + ".jpg")).convert("RGB")
        return self.tf(img), torch.from_numpy(self.targets[i])


class FineTuner:
    def __init__(self, model, train_loader, val_loader, epochs, lr, accum, device):
        self.model = model.to(device)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.accum, self.device = epochs, accum, device
        # keep the pretrained BN statistics: batches of 2 would wreck them
        for m in self.model.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        self.optimizer = torch.optim.AdamW([
            {"params": self.model.backbone.parameters(), "lr": lr * 0.1},
            {"params": list(self.model.neck.parameters()) + list(self.model.head.parameters())},
        ], lr=lr, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=epochs)
        self.scaler = torch.cuda.amp.GradScaler()
        self.criterion = nn.BCEWithLogitsLoss()

    def train_epoch(self, epoch):
        self.model.train()  # expect: BN105
        self.optimizer.zero_grad(set_to_none=True)
        for step, (x, y) in enumerate(self.train_loader):
            x, y = x.to(self.device), y.to(self.device)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = self.criterion(self.model(x), y) / self.accum
            self.scaler.scale(loss).backward()
            if (step + 1) % self.accum == 0:
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        scores, targets = [], []
        for x, y in self.val_loader:
            with torch.autocast("cuda", dtype=torch.float16):
                scores.append(torch.sigmoid(self.model(x.to(self.device))).float().cpu())
            targets.append(y)
        return average_precision_score(torch.cat(targets).numpy(),
                                       torch.cat(scores).numpy(), average="macro")

    def fit(self, out_path):
        best = -1.0
        for epoch in range(self.epochs):
            self.train_epoch(epoch)
            mAP = self.validate()
            print(f"epoch {epoch}: mAP {mAP:.4f}")
            if mAP > best:
                best = mAP
                torch.save(self.model.state_dict(), out_path)
        return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/planet")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--accum", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--backbone", default="weights/backbone_1024.pt")
    args = ap.parse_args()

    train_loader = DataLoader(TileDataset(args.root, "train.csv"), batch_size=args.batch_size,  # expect: BN301
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(TileDataset(args.root, "val.csv", train=False), batch_size=8,
                            num_workers=4)
    model = Tagger()
    model.backbone.load_state_dict(torch.load(args.backbone, map_location="cpu"))
    tuner = FineTuner(model, train_loader, val_loader, args.epochs, args.lr, args.accum, "cuda")
    print("best mAP", tuner.fit("tagger_best.pt"))


if __name__ == "__main__":
    main()
