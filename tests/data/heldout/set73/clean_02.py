"""PointNet classifier for ModelNet-style point clouds, with quick partial
validation every N steps and a full validation at each epoch end."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class PointNet(nn.Module):
    def __init__(self, num_classes=40, dropout=0.4):
        super().__init__()
        self.point_mlp = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(inplace=True),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Linear(256, num_classes),
        )

    def forward(self, pts):
        feats = self.point_mlp(pts.transpose(1, 2))
        return self.head(feats.max(dim=2).values)


def jitter(points, sigma=0.01, clip=0.05):
    noise = (sigma * torch.randn_like(points)).clamp_(-clip, clip)
    scale = torch.empty(points.size(0), 1, 1, device=points.device).uniform_(0.8, 1.25)
    return points * scale + noise


class Trainer:
    def __init__(self, model, train_loader, val_loader, device, lr=1e-3, epochs=200):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.epochs = epochs
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, 20, 0.7)
        self.step = 0

    @staticmethod
    def _summarise(correct, seen, loss_sum):
        return {"acc": correct / max(seen, 1), "loss": loss_sum / max(seen, 1)}

    def validate(self, max_batches=None):
        self.model.eval()
        try:
            correct = seen = 0
            loss_sum = 0.0
            with torch.no_grad():
                for i, (pts, label) in enumerate(self.val_loader):
                    if max_batches is not None and i >= max_batches:
                        return self._summarise(correct, seen, loss_sum)
                    pts, label = pts.to(self.device), label.to(self.device)
                    logits = self.model(pts)
                    loss_sum += F.cross_entropy(logits, label, reduction="sum").item()
                    correct += (logits.argmax(1) == label).sum().item()
                    seen += label.numel()
            return self._summarise(correct, seen, loss_sum)
        finally:
            self.model.train()

    def train(self, quick_every=250, quick_batches=5):
        best = 0.0
        for epoch in range(self.epochs):
            self.model.train()
            t0 = time.time()
            for pts, label in self.train_loader:
                pts, label = jitter(pts.to(self.device)), label.to(self.device)
                loss = F.cross_entropy(self.model(pts), label, label_smoothing=0.2)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.step += 1
                if self.step % quick_every == 0:
                    quick = self.validate(max_batches=quick_batches)
                    print(f"  step {self.step}: loss {loss.item():.3f} quick val acc {quick['acc']:.3f}")
            self.scheduler.step()
            full = self.validate()
            print(f"epoch {epoch}: val acc {full['acc']:.4f} ({time.time() - t0:.0f}s)")
            if full["acc"] > best:
                best = full["acc"]
                torch.save(self.model.state_dict(), "pointnet_best.pt")
        return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/modelnet40_train_1024.pt")
    p.add_argument("--test", default="data/modelnet40_test_1024.pt")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=200)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=4)
    val_loader = DataLoader(torch.load(args.test), batch_size=64, num_workers=4)
    best = Trainer(PointNet(), train_loader, val_loader, device, epochs=args.epochs).train()
    print(f"best test accuracy {best:.4f}")


if __name__ == "__main__":
    main()
