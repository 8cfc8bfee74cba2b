"""Two-pathway video classifier: per-frame 2D CNN plus a (2+1)D motion pathway.

Clips are decoded as (batch, frames, H, W, 3) uint8 and reordered to the
(batch, 3, frames, H, W) layout expected by Conv3d. The appearance pathway
folds time into the batch axis and runs ordinary 2D convolutions per frame.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

FRAMES = 8
SIZE = 112
N_CLASSES = 174


class R2Plus1dBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.spatial = nn.Conv3d(in_ch, out_ch, (1, 3, 3), stride=(1, stride, stride),
                                 padding=(0, 1, 1), bias=False)
        self.bn_s = nn.BatchNorm3d(out_ch)
        self.temporal = nn.Conv3d(out_ch, out_ch, (3, 1, 1), padding=(1, 0, 0), bias=False)
        self.bn_t = nn.BatchNorm3d(out_ch)

    def forward(self, x):
        return F.relu(self.bn_t(self.temporal(F.relu(self.bn_s(self.spatial(x))))))


class AppearancePath(nn.Module):
    def __init__(self, width=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.width = width

    def forward(self, clip):
        n, c, t, h, w = clip.shape
        frames = clip.transpose(1, 2).flatten(0, 1)
        feats = self.net(frames)
        return feats.view(n, t, self.width).mean(dim=1)


class MotionPath(nn.Module):
    def __init__(self, width=256):
        super().__init__()
        self.blocks = nn.Sequential(
            R2Plus1dBlock(3, 64, stride=2),
            R2Plus1dBlock(64, 128, stride=2),
            R2Plus1dBlock(128, width, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool3d(1)

    def forward(self, clip):
        return self.pool(self.blocks(clip)).flatten(1)


class TwoPathNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES, app_width=128, mot_width=256):
        super().__init__()
        self.appearance = AppearancePath(app_width)
        self.motion = MotionPath(mot_width)
        self.fuse = nn.Linear(app_width + mot_width, 512, bias=False)
        self.fuse_bn = nn.BatchNorm1d(512)
        self.cls = nn.Linear(512, n_classes)

    def forward(self, clip):
        z = torch.cat([self.appearance(clip), self.motion(clip)], dim=1)
        return self.cls(F.dropout(F.relu(self.fuse_bn(self.fuse(z))), 0.5, self.training))


def to_model_layout(raw):
    x = raw.float() / 255.0
    x = x.permute(0, 4, 1, 2, 3)
    mean = x.new_tensor([0.45, 0.45, 0.45]).view(1, 3, 1, 1, 1)
    std = x.new_tensor([0.225, 0.225, 0.225]).view(1, 3, 1, 1, 1)
    return (x - mean) / std


def main(epochs=5, steps=40, batch_size=16):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = TwoPathNet().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()
        for _ in range(steps):
            raw = torch.randint(0, 256, (batch_size, FRAMES, SIZE, SIZE, 3), dtype=torch.uint8)
            y = torch.randint(0, N_CLASSES, (batch_size,), device=device)
            loss = F.cross_entropy(model(to_model_layout(raw).to(device)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.inference_mode():
            raw = torch.randint(0, 256, (32, FRAMES, SIZE, SIZE, 3), dtype=torch.uint8)
            probs = model(to_model_layout(raw).to(device)).softmax(-1)
        print(f"epoch {epoch} loss {loss.item():.3f} mean max-prob {probs.max(-1).values.mean():.3f}")


if __name__ == "__main__":
    main()
