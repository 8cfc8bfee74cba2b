"""Temporal action localisation head on top of a small 3D-CNN trunk.

The decoder yields clips as (batch, frames, 3, H, W). The trunk keeps the time
axis (no temporal stride) so that the head can score every frame.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_FRAMES = 32
SIZE = 96
N_ACTIONS = 20


class Conv3dBlock(nn.Module):
    def __init__(self, in_ch, out_ch, spatial_stride=1):
        super().__init__()
        self.conv_s = nn.Conv3d(in_ch, out_ch, (1, 3, 3), stride=(1, spatial_stride, spatial_stride),
                                padding=(0, 1, 1), bias=False)
        self.bn_s = nn.BatchNorm3d(out_ch)
        self.conv_t = nn.Conv3d(out_ch, out_ch, (3, 1, 1), padding=(1, 0, 0), bias=False)
        self.bn_t = nn.BatchNorm3d(out_ch)

    def forward(self, x):
        x = F.relu(self.bn_s(self.conv_s(x)))
        return F.relu(self.bn_t(self.conv_t(x)))


class FrameScorer(nn.Module):
    def __init__(self, width=256, n_actions=N_ACTIONS):
        super().__init__()
        self.width = width
        self.trunk = nn.Sequential(
            Conv3dBlock(3, 64, spatial_stride=2),
            Conv3dBlock(64, 128, spatial_stride=2),
            Conv3dBlock(128, width, spatial_stride=2),
        )
        self.spatial_pool = nn.AdaptiveAvgPool3d((None, 1, 1))
        self.pre_bn = nn.BatchNorm2d(width)
        self.temporal = nn.Conv1d(width, width, kernel_size=5, padding=2, bias=False)
        self.temporal_bn = nn.BatchNorm1d(width)
        self.cls = nn.Conv1d(width, n_actions + 1, kernel_size=1)

    def forward(self, clips):
        x = clips.permute(0, 2, 1, 3, 4).contiguous()
        x = self.trunk(x)
        x = self.spatial_pool(x)
        n, c, t = x.shape[:3]
        x = x.view(n, c, t)
        x = self.pre_bn(x)  # expect: BN202
        x = F.relu(self.temporal_bn(self.temporal(x)))
        return self.cls(x).transpose(1, 2)


def frame_labels(batch):
    labels = torch.zeros(batch, N_FRAMES, dtype=torch.long)
    for i in range(batch):
        start = torch.randint(0, N_FRAMES - 8, (1,)).item()
        labels[i, start:start + 8] = torch.randint(1, N_ACTIONS + 1, (1,)).item()
    return labels


def train_step(model, opt, batch=16, device="cpu"):
    clips = torch.randn(batch, N_FRAMES, 3, SIZE, SIZE, device=device)
    labels = frame_labels(batch).to(device)
    logits = model(clips)
    weights = torch.ones(N_ACTIONS + 1, device=device)
    weights[0] = 0.2
    loss = F.cross_entropy(logits.reshape(-1, N_ACTIONS + 1), labels.reshape(-1), weight=weights)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


@torch.no_grad()
def localise(model, clips, threshold=0.5):
    model.eval()
    probs = model(clips).softmax(-1)
    conf, action = probs[..., 1:].max(-1)
    segments = []
    for b in range(clips.size(0)):
        active = (conf[b] > threshold).nonzero().flatten().tolist()
        if active:
            segments.append((b, active[0], active[-1], int(action[b, active[0]]) + 1))
    return segments


if __name__ == "__main__":
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = FrameScorer().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    for epoch in range(4):
        model.train()
        losses = [train_step(model, opt, device=device) for _ in range(25)]
        print(f"epoch {epoch} loss {sum(losses) / len(losses):.4f}")
        demo = torch.randn(8, N_FRAMES, 3, SIZE, SIZE, device=device)
        print(localise(model, demo)[:3])
