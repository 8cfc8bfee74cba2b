"""TC-ResNet style temporal convolutions for on-device wake-word detection.

Unlike 2D spectrogram CNNs, the mel bins are used as input *channels*: the
(batch, 1, N_MELS, frames) spectrogram is squeezed to (batch, N_MELS, frames)
and convolved along time only with Conv1d.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_MELS = 40
N_FRAMES = 101
N_CLASSES = 12


class TCResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, out_ch, 9, stride=stride, padding=4, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, 9, padding=4, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm1d(out_ch),
                nn.ReLU(),
            )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + identity)


class TCResNet8(nn.Module):
    def __init__(self, n_mels=N_MELS, n_classes=N_CLASSES, width_mult=1.5):
        super().__init__()
        c = [int(w * width_mult) for w in (16, 24, 32, 48)]
        self.input_bn = nn.BatchNorm1d(n_mels)
        self.stem = nn.Conv1d(n_mels, c[0], 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm1d(c[0])
        self.blocks = nn.Sequential(
            TCResBlock(c[0], c[1], stride=2),
            TCResBlock(c[1], c[2], stride=2),
            TCResBlock(c[2], c[3], stride=2),
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.embed_bn = nn.BatchNorm1d(c[3])
        self.fc = nn.Linear(c[3], n_classes)

    def forward(self, spec):
        x = spec.squeeze(1)
        x = self.input_bn(x)
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.blocks(x)
        x = self.pool(x).flatten(1)
        return self.fc(self.embed_bn(x))


def streaming_windows(spec_stream, hop=10):
    """Cut a (N_MELS, T) stream into overlapping (1, N_MELS, N_FRAMES) windows."""
    windows = spec_stream.unfold(1, N_FRAMES, hop)
    return windows.permute(1, 0, 2).unsqueeze(1)


def detect(model, spec_stream, threshold=0.8, keyword=2):
    model.eval()
    with torch.no_grad():
        probs = model(streaming_windows(spec_stream)).softmax(-1)[:, keyword]
    return (probs > threshold).nonzero().flatten().tolist()


def train(model, steps=1500, batch_size=100):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[800, 1200], gamma=0.1)
    model.train()
    for step in range(steps):
        spec = torch.randn(batch_size, 1, N_MELS, N_FRAMES)
        y = torch.randint(0, N_CLASSES, (batch_size,))
        loss = F.cross_entropy(model(spec), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    net = TCResNet8()
    train(net)
    stream = torch.randn(N_MELS, 1000)
    print("keyword at windows:", detect(net, stream))
