"""Product image classifier trained on a step budget; evaluation starts only
after warm-up and then runs every few hundred steps."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand=4):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_res else out


class ProductNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24),
                                  nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(
            InvertedResidual(24, 32, 2), InvertedResidual(32, 32, 1),
            InvertedResidual(32, 64, 2), InvertedResidual(64, 64, 1),
            InvertedResidual(64, 128, 2), InvertedResidual(128, 128, 1),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))


def maybe_evaluate(model, loader, device, step, start_step, every):
    if step < start_step or step % every:
        return None
    model.eval()
    top1 = top5 = n = 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            y = y.to(device)
            top = logits.topk(5, dim=1).indices
            top1 += (top[:, 0] == y).sum().item()
            top5 += (top == y[:, None]).any(dim=1).sum().item()
            n += y.numel()
    model.train()
    return top1 / n, top5 / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/products_train.pt")
    p.add_argument("--val", default="data/products_val.pt")
    p.add_argument("--num-classes", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=96)
    p.add_argument("--budget", type=int, default=60_000)
    p.add_argument("--eval-start", type=int, default=10_000)
    p.add_argument("--eval-every", type=int, default=500)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=6, persistent_workers=True)
    val_loader = DataLoader(torch.load(args.val), batch_size=256, num_workers=4)

    model = ProductNet(args.num_classes).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=4e-5,
                                nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=args.budget)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")

    step, epoch, best = 0, 0, 0.0
    model.train()
    t0 = time.time()
    while step < args.budget:
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, enabled=device.type == "cuda"):
                loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1

            result = maybe_evaluate(model, val_loader, device, step, args.eval_start, args.eval_every)
            if result is not None:
                top1, top5 = result
                print(f"step {step} ep {epoch}: loss {loss.item():.3f} top1 {top1:.4f} "
                      f"top5 {top5:.4f} ({time.time() - t0:.0f}s)")
                if top1 > best:
                    best = top1
                    torch.save(model.state_dict(), "productnet_best.pt")
            if step >= args.budget:
                break
        epoch += 1
    print(f"best top-1 {best:.4f}")


if __name__ == "__main__":
    main()
