"""Hybrid 2-D/3-D video network (per-frame 2-D stem, 3-D temporal stages) and a
linear-probe fine-tuning script on a new action dataset.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from clips import ClipDataset  # project-local: (3, T, 112, 112) clips

FRAMES = 8


def conv_bn_3d(cin, cout, kernel, stride=1):
    pad = tuple(k // 2 for k in kernel)
    return nn.Sequential(
        nn.Conv3d(cin, cout, kernel, stride, pad, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


class FrameStem(nn.Module):
    """Runs a 2-D stem on every frame: (N, C, T, H, W) -> (N*T, C, H, W) -> back."""

    def __init__(self, out_ch=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, out_ch, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm3d(out_ch),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )

    def forward(self, x):
        n, c, t, h, w = x.shape
        y = self.body(x.transpose(1, 2).reshape(n * t, c, h, w))
        _, c2, h2, w2 = y.shape
        return y.view(n, t, c2, h2, w2).transpose(1, 2)


class TemporalStage(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn_3d(cin, cout, (3, 3, 3), stride)
        self.b = nn.Sequential(
            nn.Conv3d(cout, cout, (3, 3, 3), 1, (1, 1, 1), bias=False),
            nn.BatchNorm3d(cout),
        )
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm3d(cout))

    def forward(self, x):
        s = x if self.skip is None else self.skip(x)
        return F.relu(self.b(self.a(x)) + s)


class HybridNet(nn.Module):
    def __init__(self, num_classes=400, widths=(64, 128, 256, 512)):
        super().__init__()
        self.backbone = nn.Sequential(
            FrameStem(widths[0]),
            TemporalStage(widths[0], widths[0], 1),
            TemporalStage(widths[0], widths[1], 2),
            TemporalStage(widths[1], widths[2], 2),
            TemporalStage(widths[2], widths[3], 2),
        )
        self.head = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        x = self.backbone(x)
        return self.head(F.adaptive_avg_pool3d(x, 1).flatten(1))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for clips, y in loader:
        pred = model(clips.to(device)).argmax(1).cpu()
        correct += (pred == y).sum().item()
        total += y.numel()
    return correct / total


def linear_probe(pretrained="hybrid_k400.pt", epochs=10, device="cuda"):
    model = HybridNet(num_classes=400)
    model.load_state_dict(torch.load(pretrained, map_location="cpu"))
    model.head = nn.Linear(512, 51)
    model.backbone.requires_grad_(False)  # expect: BN105
    model.to(device)

    train_loader = DataLoader(ClipDataset("hmdb51", "train", frames=FRAMES),
                              batch_size=32, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(ClipDataset("hmdb51", "val", frames=FRAMES),
                            batch_size=32, num_workers=8)
    opt = torch.optim.SGD(model.head.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        for clips, y in train_loader:
            loss = F.cross_entropy(model(clips.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, evaluate(model, val_loader, device))
    return model
