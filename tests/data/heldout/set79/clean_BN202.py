"""12-lead ECG rhythm classifier with a temporal branch (raw signal) and a
spectral branch (per-lead STFT magnitude), fused before the classifier."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

LEADS = 12
FS = 500
SECONDS = 10
RHYTHMS = ["SR", "AF", "AFL", "SB", "ST", "SVT", "PAC", "PVC", "LBBB"]


def temporal_block(name: str, cin: int, cout: int, kernel: int, pool: bool = True) -> nn.Sequential:
    layers = OrderedDict()
    layers[f"{name}_conv"] = nn.Conv1d(cin, cout, kernel, padding=kernel // 2, bias=False)
    layers[f"{name}_bn"] = nn.BatchNorm1d(cout)
    layers[f"{name}_act"] = nn.ReLU(inplace=True)
    if pool:
        layers[f"{name}_pool"] = nn.MaxPool1d(2)
    return nn.Sequential(layers)


class ECGNet(nn.Module):
    def __init__(self, n_classes: int = len(RHYTHMS), n_fft: int = 128, hop: int = 32):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.temporal = nn.Sequential(
            temporal_block("t1", LEADS, 32, 15),
            temporal_block("t2", 32, 64, 9),
            temporal_block("t3", 64, 128, 9),
            temporal_block("t4", 128, 128, 5, pool=False),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )
        self.spectral = nn.Sequential(OrderedDict([
            ("s1_conv", nn.Conv2d(LEADS, 32, 3, padding=1, bias=False)),
            ("s1_bn", nn.BatchNorm2d(32)),
            ("s1_act", nn.ReLU(inplace=True)),
            ("s1_pool", nn.MaxPool2d(2)),
            ("s2_conv", nn.Conv2d(32, 64, 3, padding=1, bias=False)),
            ("s2_bn", nn.BatchNorm2d(64)),
            ("s2_act", nn.ReLU(inplace=True)),
            ("gap", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
        ]))
        self.fusion = nn.Sequential(OrderedDict([
            ("fc", nn.Linear(128 + 64, 128, bias=False)),
            ("bn", nn.BatchNorm1d(128)),
            ("act", nn.ReLU(inplace=True)),
            ("drop", nn.Dropout(0.4)),
            ("out", nn.Linear(128, n_classes)),
        ]))

    def spectrogram(self, sig: torch.Tensor) -> torch.Tensor:
        b = sig.shape[0]
        spec = torch.stft(sig.reshape(b * LEADS, -1), self.n_fft, self.hop,
                          window=torch.hann_window(self.n_fft, device=sig.device),
                          return_complex=True).abs()
        spec = torch.log1p(spec)
        return spec.reshape(b, LEADS, spec.shape[-2], spec.shape[-1])

    def forward(self, sig: torch.Tensor) -> torch.Tensor:
        t = self.temporal(sig)
        s = self.spectral(self.spectrogram(sig))
        return self.fusion(torch.cat([t, s], dim=1))


def train_steps(model, steps=200, batch=32, device="cpu"):
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    for step in range(steps):
        sig = torch.randn(batch, LEADS, FS * SECONDS, device=device)
        labels = torch.randint(len(RHYTHMS), (batch,), device=device)
        loss = F.cross_entropy(model(sig), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step}: {loss.item():.4f}")
    return model


if __name__ == "__main__":
    net = train_steps(ECGNet())
    net.eval()
    with torch.no_grad():
        probs = net(torch.randn(4, LEADS, FS * SECONDS)).softmax(-1)
    print(dict(zip(RHYTHMS, probs[0].tolist())))
