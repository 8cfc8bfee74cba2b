"""ResNet-1D baseline for multivariate time-series classification (UEA archive).

The network is configurable (basic / bottleneck blocks, custom norm layer) so the
same file is used for the ablation table in the report.
"""
import argparse
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def conv3(in_planes, out_planes, stride=1):
    return nn.Conv1d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1(in_planes, out_planes, stride=1):
    return nn.Conv1d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock1d(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm1d
        self.conv1 = conv3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + idt)


class Bottleneck1d(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm1d
        self.conv1 = conv1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3(planes, planes, stride)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1(planes, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + idt)


class ResNet1d(nn.Module):
    STEM_WIDTH = 64

    def __init__(self, block, layers, in_channels, n_classes, norm_layer=nn.BatchNorm1d):
        super().__init__()
        self._norm = norm_layer
        self.inplanes = self.STEM_WIDTH
        self.stem = nn.Sequential(
            nn.Conv1d(in_channels, self.STEM_WIDTH, 7, stride=2, padding=3, bias=False),
            norm_layer(self.STEM_WIDTH),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(3, stride=2, padding=1),
        )
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.fc = nn.Linear(256 * block.expansion, n_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1(self.inplanes, planes * block.expansion, stride),
                self._norm(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self._norm)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, norm_layer=self._norm))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(F.adaptive_avg_pool1d(x, 1).flatten(1))


ARCHS = {
    "resnet10": (BasicBlock1d, [1, 1, 1]),
    "resnet18": (BasicBlock1d, [2, 2, 2]),
    "resnet26b": (Bottleneck1d, [2, 2, 2]),
}


@torch.no_grad()
def accuracy(model, loader, device):
    was_training = model.training
    model.eval()
    hits = n = 0
    for x, y in loader:
        hits += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += len(y)
    model.train(was_training)
    return hits / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="uea/PenDigits.npz")
    ap.add_argument("--arch", choices=sorted(ARCHS), default="resnet18")
    ap.add_argument("--bn-momentum", type=float, default=0.01)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--eval-every", type=int, default=500)
    args = ap.parse_args()

    d = np.load(args.dataset)
    xtr, ytr = torch.tensor(d["X_train"], dtype=torch.float32), torch.tensor(d["y_train"])
    xte, yte = torch.tensor(d["X_test"], dtype=torch.float32), torch.tensor(d["y_test"])
    mu, sd = xtr.mean(dim=(0, 2), keepdim=True), xtr.std(dim=(0, 2), keepdim=True) + 1e-8
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd

    train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=args.batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(TensorDataset(xte, yte), batch_size=256)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    block, layers = ARCHS[args.arch]
    norm = partial(nn.BatchNorm1d, momentum=args.bn_momentum)
    model = ResNet1d(block, layers, xtr.shape[1], int(ytr.max()) + 1, norm_layer=norm).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=5e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)

    step, best = 0, 0.0
    model.train()
    while step < args.steps:
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % args.eval_every == 0:
                acc = accuracy(model, test_loader, device)
                best = max(best, acc)
                print(f"step {step}: loss {loss.item():.4f} test acc {acc:.4f} (best {best:.4f})")
            if step >= args.steps:
                break
    torch.save({"arch": args.arch, "model": model.state_dict(), "mu": mu, "sd": sd}, f"{args.arch}_uea.pt")


if __name__ == "__main__":
    main()
