"""SimCLR pre-training with a configurable backbone norm (bn / gn / ln).

The backbone norm is selected in the YAML config (``model.norm``), e.g. GroupNorm
for small per-GPU batches. The projection head always uses BatchNorm1d, as
in SimCLR v2 (its last BN has no affine parameters).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

FEAT_DIM = 512
PROJ_HIDDEN = 2048
PROJ_OUT = 128


def make_norm(kind, channels):
    if kind == "bn":
        return nn.BatchNorm2d(channels)
    if kind == "gn":
        return nn.GroupNorm(16, channels)
    if kind == "ln":
        return nn.GroupNorm(1, channels)  # LayerNorm over (C, H, W)
    raise ValueError(kind)


class Block(nn.Module):
    def __init__(self, in_ch, out_ch, stride, norm):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.n1 = make_norm(norm, out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.n2 = make_norm(norm, out_ch)
        self.short = None
        if stride != 1 or in_ch != out_ch:
            self.short = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                                       make_norm(norm, out_ch))

    def forward(self, x):
        out = F.relu(self.n1(self.conv1(x)))
        out = self.n2(self.conv2(out))
        return F.relu(out + (x if self.short is None else self.short(x)))


class Encoder(nn.Module):
    def __init__(self, norm="bn"):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), make_norm(norm, 64),
                                  nn.ReLU(inplace=True))
        chans = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, FEAT_DIM, 2)]
        self.layers = nn.Sequential(*[Block(i, o, s, norm) for i, o, s in chans])

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1).flatten(1)


class SimCLR(nn.Module):
    def __init__(self, norm="bn"):
        super().__init__()
        self.encoder = Encoder(norm)
        self.projector = nn.Sequential(
            nn.Linear(FEAT_DIM, PROJ_HIDDEN),  # expect: BN204
            nn.BatchNorm1d(PROJ_HIDDEN),
            nn.ReLU(inplace=True),
            nn.Linear(PROJ_HIDDEN, PROJ_OUT, bias=False),
            nn.BatchNorm1d(PROJ_HIDDEN, affine=False),  # expect: BN201
        )

    def forward(self, x):
        return self.projector(self.encoder(x))


def nt_xent(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    n = z1.shape[0]
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


class TwoViews:
    def __init__(self, size=32):
        self.tf = transforms.Compose([
            transforms.RandomResizedCrop(size, scale=(0.2, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            transforms.RandomGrayscale(0.2),
            transforms.ToTensor(),
        ])

    def __call__(self, img):
        return self.tf(img), self.tf(img)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="configs/simclr_cifar.yaml")
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = datasets.CIFAR10("data", train=True, download=True, transform=TwoViews())
    loader = DataLoader(data, batch_size=cfg["train"]["batch_size"], shuffle=True,
                        num_workers=8, drop_last=True)
    model = SimCLR(norm=cfg["model"]["norm"]).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["train"]["lr"], momentum=0.9,
                          weight_decay=1e-6)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["train"]["epochs"])

    for epoch in range(cfg["train"]["epochs"]):
        model.train()
        total = 0.0
        for (v1, v2), _ in loader:
            loss = nt_xent(model(v1.to(device)), model(v2.to(device)), cfg["train"]["temperature"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}")
    torch.save(model.encoder.state_dict(), f"simclr_{cfg['model']['norm']}_encoder.pt")


if __name__ == "__main__":
    main()
