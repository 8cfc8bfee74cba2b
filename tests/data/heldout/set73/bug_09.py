"""BYOL-style self-supervised pretraining with an online/target pair and a
kNN probe that is run every few thousand steps."""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def conv_stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def mlp(din, hidden, dout):
    return nn.Sequential(
        nn.Linear(din, hidden, bias=False),
        nn.BatchNorm1d(hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, dout),
    )


class Encoder(nn.Module):
    def __init__(self, proj_dim=256):
        super().__init__()
        self.backbone = nn.Sequential(conv_stage(3, 64), conv_stage(64, 128), conv_stage(128, 256),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.projector = mlp(256, 1024, proj_dim)

    def forward(self, x):
        return self.projector(self.backbone(x))


def regression_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


@torch.no_grad()
def ema_update(target, online, tau):
    for pt, po in zip(target.parameters(), online.parameters()):
        pt.mul_(tau).add_(po.detach(), alpha=1 - tau)
    for bt, bo in zip(target.buffers(), online.buffers()):
        bt.copy_(bo)


def knn_monitor(model, bank_loader, val_loader, device, step, start_step, k=20):
    model.eval()
    if step < start_step:
        return None
    feats, labels = [], []
    with torch.no_grad():
        for x, y in bank_loader:
            feats.append(F.normalize(model.backbone(x.to(device)), dim=1))
            labels.append(y.to(device))
        bank, bank_y = torch.cat(feats), torch.cat(labels)
        hits = total = 0
        for x, y in val_loader:
            f = F.normalize(model.backbone(x.to(device)), dim=1)
            idx = (f @ bank.T).topk(k, dim=1).indices
            votes = bank_y[idx].mode(dim=1).values
            hits += (votes == y.to(device)).sum().item()
            total += y.numel()
    model.train()
    return hits / max(total, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--views", default="data/stl_unlabeled_views.pt")
    p.add_argument("--bank", default="data/stl_train_labeled.pt")
    p.add_argument("--val", default="data/stl_test.pt")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--total-steps", type=int, default=100_000)
    p.add_argument("--probe-every", type=int, default=2_000)
    p.add_argument("--probe-start", type=int, default=10_000)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    views = DataLoader(torch.load(args.views), batch_size=args.batch_size, shuffle=True,
                       drop_last=True, num_workers=8)
    bank_loader = DataLoader(torch.load(args.bank), batch_size=512, num_workers=4)
    val_loader = DataLoader(torch.load(args.val), batch_size=512, num_workers=4)

    online = Encoder().to(device)
    predictor = mlp(256, 1024, 256).to(device)
    target = copy.deepcopy(online)
    optimizer = torch.optim.AdamW(list(online.parameters()) + list(predictor.parameters()),
                                  lr=2e-3, weight_decay=1e-6)

    online.train()
    predictor.train()
    target.train()
    step = 0
    while step < args.total_steps:
        for v1, v2 in views:
            v1, v2 = v1.to(device, non_blocking=True), v2.to(device, non_blocking=True)
            p1, p2 = predictor(online(v1)), predictor(online(v2))
            with torch.no_grad():
                z1, z2 = target(v1), target(v2)
            loss = regression_loss(p1, z2) + regression_loss(p2, z1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            tau = 1 - (1 - 0.996) * (1 + torch.cos(torch.tensor(torch.pi * step / args.total_steps)).item()) / 2
            ema_update(target, online, tau)
            step += 1

            if step % args.probe_every == 0:
                acc = knn_monitor(online, bank_loader, val_loader, device, step, args.probe_start)  # expect: BN103
                if acc is not None:
                    print(f"step {step}: loss {loss.item():.4f}  kNN acc {acc:.4f}")
            if step >= args.total_steps:
                break

    torch.save({"online": online.state_dict(), "target": target.state_dict()}, "byol_stl.pt")


if __name__ == "__main__":
    main()
