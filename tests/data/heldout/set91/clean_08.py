"""Fine-tune only the head of a pretrained X3D-style network for fall
detection in elder-care camera clips.  The backbone (incl. its BatchNorm3d
statistics) is frozen: requires_grad off AND BN layers kept in eval mode.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class DWBlock3d(nn.Module):
    def __init__(self, c, expand=2.25):
        super().__init__()
        mid = int(c * expand)
        self.pw1 = nn.Conv3d(c, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(mid)
        self.dw = nn.Conv3d(mid, mid, 3, padding=1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm3d(mid)
        self.pw2 = nn.Conv3d(mid, c, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(c)

    def forward(self, x):
        h = torch.relu(self.bn1(self.pw1(x)))
        h = torch.relu(self.bn2(self.dw(h)))
        return x + self.bn3(self.pw2(h))


class X3DLite(nn.Module):
    def __init__(self, width=48, depth=(1, 2, 3, 2)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, width, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False),
                                  nn.BatchNorm3d(width), nn.ReLU(inplace=True))
        stages = []
        for i, d in enumerate(depth):
            out = width * 2 if i > 0 else width
            if i > 0:
                stages += [nn.Conv3d(width, out, 1, stride=(1, 2, 2), bias=False), nn.BatchNorm3d(out)]
            stages += [DWBlock3d(out) for _ in range(d)]
            width = out
        self.stages = nn.Sequential(*stages)
        self.out_dim = width

    def forward(self, x):
        return self.stages(self.stem(x)).mean(dim=(2, 3, 4))


class FallDetector(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(nn.Linear(backbone.out_dim, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 2))

    def forward(self, clip):
        return self.head(self.backbone(clip))


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr=1e-3, device="cuda"):
        self.model = model.to(device)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.device = device
        self.opt = torch.optim.Adam(model.head.parameters(), lr=lr)
        self.crit = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0], device=device))

    def set_train_mode(self):
        self.model.train()
        self.model.backbone.eval()   # frozen BN: keep pretrained running stats

    def fit(self, epochs):
        for epoch in range(epochs):
            self.set_train_mode()
            for clip, y in self.train_loader:
                loss = self.crit(self.model(clip.to(self.device)), y.to(self.device))
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            print(f"epoch {epoch}: recall(fall)={self.validate():.3f}")

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        tp = pos = 0
        for clip, y in self.val_loader:
            pred = self.model(clip.to(self.device)).argmax(1).cpu()
            tp += ((pred == 1) & (y == 1)).sum().item()
            pos += (y == 1).sum().item()
        return tp / max(pos, 1)


def build(pretrained="x3d_lite_k400.pt"):
    backbone = X3DLite()
    backbone.load_state_dict(torch.load(pretrained, map_location="cpu"))
    backbone.eval()
    backbone.requires_grad_(False)
    return FallDetector(backbone)


if __name__ == "__main__":
    from carecam.data import ClipFolder  # in-house dataset

    model = build()
    train_dl = DataLoader(ClipFolder("clips/train"), batch_size=16, shuffle=True, num_workers=8, drop_last=True)
    val_dl = DataLoader(ClipFolder("clips/val"), batch_size=32, num_workers=8)
    Trainer(model, train_dl, val_dl).fit(epochs=15)
    torch.save(model.head.state_dict(), "fall_head.pt")
