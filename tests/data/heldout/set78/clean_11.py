"""Shape sanity checks for the multimodal encoders before a long training run.

Each check builds one encoder, feeds random inputs of the documented layout
and asserts the output shape. Run directly: `python clean_11.py`.
"""
import torch
import torch.nn as nn


class ImageEncoder(nn.Module):
    def __init__(self, out_dim=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d((2, 2)),
            nn.Flatten(),
            nn.Linear(128 * 2 * 2, out_dim, bias=False),
            nn.BatchNorm1d(out_dim),
        )

    def forward(self, x):
        return self.body(x)


class SignalEncoder(nn.Module):
    def __init__(self, in_ch=12, out_dim=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(in_ch, 64, 15, stride=2, padding=7, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 9, stride=2, padding=4, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.AdaptiveMaxPool1d(1),
            nn.Flatten(),
            nn.Linear(128, out_dim, bias=False),
            nn.BatchNorm1d(out_dim),
        )

    def forward(self, x):
        return self.body(x)


class VolumeEncoder(nn.Module):
    def __init__(self, out_dim=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(16), nn.ReLU(),
            nn.Conv3d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(32), nn.ReLU(),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
            nn.Linear(32, out_dim, bias=False),
            nn.BatchNorm1d(out_dim),
        )

    def forward(self, x):
        return self.body(x)


def check_encoders(batch=16):
    cases = [
        (ImageEncoder(), torch.randn(batch, 3, 96, 96)),
        (SignalEncoder(), torch.randn(batch, 12, 5000)),
        (VolumeEncoder(), torch.randn(batch, 1, 32, 64, 64)),
    ]
    for enc, x in cases:
        enc.eval()
        with torch.no_grad():
            y = enc(x)
        assert y.shape == (batch, 256), (type(enc).__name__, tuple(y.shape))
        print(f"{type(enc).__name__:>14}: {tuple(x.shape)} -> {tuple(y.shape)}")


def check_bare_norms():
    bn1 = nn.BatchNorm1d(64)
    bn2 = nn.BatchNorm2d(16)
    bn3 = nn.BatchNorm3d(8)
    inputs = {
        "bn1d (N, C)": (bn1, torch.randn(32, 64)),
        "bn1d (N, C, L)": (bn1, torch.randn(32, 64, 100)),
        "bn2d (N, C, H, W)": (bn2, torch.randn(8, 16, 32, 32)),
        "bn3d (N, C, D, H, W)": (bn3, torch.randn(8, 8, 4, 16, 16)),
    }
    for name, (norm, x) in inputs.items():
        y = norm(x)
        assert y.shape == x.shape
        print(f"{name:>22}: ok, running_mean[0]={norm.running_mean[0].item():+.4f}")

    tokens = torch.randn(16, 40, 64)
    y = bn1(tokens.transpose(1, 2)).transpose(1, 2)
    assert y.shape == tokens.shape
    flat = bn1(tokens.reshape(-1, 64)).reshape(16, 40, 64)
    assert flat.shape == tokens.shape
    print("bn1d on (N, L, E) via transpose / flatten: ok")


def check_fusion_dims(batch=16):
    img = ImageEncoder().eval()
    sig = SignalEncoder().eval()
    fuse = nn.Sequential(nn.Linear(512, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU()).eval()
    with torch.no_grad():
        z = torch.cat([img(torch.randn(batch, 3, 64, 64)), sig(torch.randn(batch, 12, 2500))], dim=1)
        out = fuse(z)
    assert out.shape == (batch, 128)
    print("fusion:", tuple(out.shape))


if __name__ == "__main__":
    torch.manual_seed(0)
    check_encoders()
    check_bare_norms()
    check_fusion_dims()
