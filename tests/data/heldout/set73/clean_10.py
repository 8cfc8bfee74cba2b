"""Traffic-sign classifier for the dashcam firmware: train, validate through
a closure built once, then fuse conv-bn-relu triples for int8 conversion."""
import argparse
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def unit(cin, cout, stride):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(cin, cout, 3, stride, 1, bias=False)),
        ("bn", nn.BatchNorm2d(cout)),
        ("act", nn.ReLU()),
    ]))


class SignNet(nn.Module):
    def __init__(self, num_classes=43):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.u1 = unit(3, 32, 1)
        self.u2 = unit(32, 64, 2)
        self.u3 = unit(64, 96, 2)
        self.u4 = unit(96, 128, 2)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.u4(self.u3(self.u2(self.u1(self.quant(x)))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.dequant(self.fc(x))


def build_validator(model, loader, device):
    per_class = torch.zeros(43)
    counts = torch.zeros(43)

    def run():
        was_training = model.training
        model.eval()
        per_class.zero_()
        counts.zero_()
        with torch.no_grad():
            for x, y in loader:
                pred = model(x.to(device)).argmax(1).cpu()
                counts.index_add_(0, y, torch.ones_like(y, dtype=torch.float))
                per_class.index_add_(0, y, (pred == y).float())
        model.train(was_training)
        present = counts > 0
        return (per_class[present] / counts[present]).mean().item()

    return run


def train_epoch(model, loader, optimizer, device):
    model.train()
    running = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / max(len(loader), 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/gtsrb_train.pt")
    p.add_argument("--val", default="data/gtsrb_val.pt")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", default="signnet_fused.pt")
    args = p.parse_args()
    device = torch.device("cpu")

    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=4)
    val_loader = DataLoader(torch.load(args.val), batch_size=512, num_workers=2)

    model = SignNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    validate = build_validator(model, val_loader, device)

    best, best_state = 0.0, None
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        score = validate()
        print(f"epoch {epoch}: loss {loss:.4f} balanced acc {score:.4f}")
        if score > best:
            best = score
            best_state = {k: v.clone() for k, v in model.state_dict().items()}

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    groups = [[f"u{i}.conv", f"u{i}.bn", f"u{i}.act"] for i in range(1, 5)]
    fused = torch.ao.quantization.fuse_modules(model, groups)
    torch.save(fused.state_dict(), args.out)
    print(f"best balanced acc {best:.4f}; fused model saved to {args.out}")


if __name__ == "__main__":
    main()
