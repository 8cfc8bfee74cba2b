"""Mean-teacher semi-supervised training (online student, EMA target).

The target network is an exponential moving average of the online network.
During training it provides consistency targets for unlabeled images; both
networks are also evaluated on the labelled validation split.
"""
import argparse
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def block(cin, cout, pool):
    layers = [
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.1),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ConvLarge(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            block(3, 128, False), block(128, 128, False), block(128, 128, True),
            nn.Dropout(0.5),
            block(128, 256, False), block(256, 256, False), block(256, 256, True),
            nn.Dropout(0.5),
            block(256, 512, False), block(512, 256, False), block(256, 128, False),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


@torch.no_grad()
def update_target(target, online, decay):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(decay).add_(o, alpha=1 - decay)


def accuracy(model, loader, device):
    model.eval()
    hit = n = 0
    with torch.no_grad():
        for x, y in loader:
            hit += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            n += y.numel()
    model.train()
    return hit / max(n, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--labeled", default="data/cifar10_4000_labeled.pt")
    p.add_argument("--unlabeled", default="data/cifar10_unlabeled.pt")
    p.add_argument("--val", default="data/cifar10_test.pt")
    p.add_argument("--steps", type=int, default=150_000)
    p.add_argument("--eval-every", type=int, default=5_000)
    p.add_argument("--consistency", type=float, default=8.0)
    p.add_argument("--ema-decay", type=float, default=0.999)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    lab = DataLoader(torch.load(args.labeled), batch_size=32, shuffle=True, drop_last=True)
    unl = DataLoader(torch.load(args.unlabeled), batch_size=96, shuffle=True, drop_last=True)
    val = DataLoader(torch.load(args.val), batch_size=500)

    online = ConvLarge().to(device)
    target = copy.deepcopy(online)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                weight_decay=2e-4)

    lab_iter = itertools.cycle(lab)
    unl_iter = itertools.cycle(unl)
    online.train()
    target.train()
    for step in range(1, args.steps + 1):
        (x_l, y_l), (x_u1, x_u2) = next(lab_iter), next(unl_iter)
        x_l, y_l = x_l.to(device), y_l.to(device)
        x_u1, x_u2 = x_u1.to(device), x_u2.to(device)

        logits_l = online(x_l)
        logits_u = online(x_u1)
        with torch.no_grad():
            target_u = F.softmax(target(x_u2), dim=1)

        ramp = min(1.0, step / 40_000) ** 2
        loss = (F.cross_entropy(logits_l, y_l)
                + args.consistency * ramp * F.mse_loss(F.softmax(logits_u, dim=1), target_u))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        update_target(target, online, min(1 - 1 / (step + 1), args.ema_decay))

        if step % args.eval_every == 0:
            acc_online = accuracy(online, val, device)
            acc_target = accuracy(target, val, device)
            print(f"step {step}: loss {loss.item():.4f} online {acc_online:.4f} "
                  f"target {acc_target:.4f}")
            torch.save({"online": online.state_dict(), "target": target.state_dict()},
                       "mean_teacher.pt")


if __name__ == "__main__":
    main()
