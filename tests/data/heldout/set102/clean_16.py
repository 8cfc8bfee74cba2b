# Q: "Which BatchNorm do I use where? My multimodal model (audio + video + text +
#     tabular) gives shape errors in every BatchNorm I add"
# A: "The variant follows the rank of the *input* to the BN, channels always in dim 1:
#   (N, C) or (N, C, L) -> BatchNorm1d, (N, C, H, W) -> BatchNorm2d,
#   (N, C, D, H, W) -> BatchNorm3d. Sequence models give you (N, L, E) with
#   batch_first=True, so move E to dim 1 (or pool over L first). num_features must
#   equal the channel count coming in; pooling/dropout/activations don't change it."
#
# Poster's final, working model + a smoke test:

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

AUDIO_MELS = 40
VIDEO_CH = 3
VOCAB = 5000
EMB = 64
HIDDEN = 128
N_TAB = 12
N_CLASSES = 7


class AudioBranch(nn.Module):
    """log-mel spectrogram (N, 40, T) -> (N, HIDDEN)"""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv1d(AUDIO_MELS, 64, kernel_size=5, padding=2, bias=False)),
            ("bn1", nn.BatchNorm1d(64)),
            ("relu1", nn.ReLU(inplace=True)),
            ("pool1", nn.MaxPool1d(2)),
            ("drop1", nn.Dropout(0.1)),
            ("conv2", nn.Conv1d(64, HIDDEN, kernel_size=3, padding=1, bias=False)),
            ("bn2", nn.BatchNorm1d(HIDDEN)),
            ("relu2", nn.ReLU(inplace=True)),
            ("gap", nn.AdaptiveAvgPool1d(1)),
            ("flat", nn.Flatten()),
        ]))

    def forward(self, x):
        return self.net(x)


class VideoBranch(nn.Module):
    """clip (N, 3, T, H, W) -> (N, HIDDEN)"""

    widths = (32, 64)

    def __init__(self):
        super().__init__()
        layers = []
        c_in = VIDEO_CH
        for c_out in self.widths:
            layers += [nn.Conv3d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm3d(c_out), nn.ReLU(inplace=True), nn.MaxPool3d((1, 2, 2))]
            c_in = c_out
        layers += [nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(c_in, HIDDEN, bias=False), nn.BatchNorm1d(HIDDEN), nn.ReLU(inplace=True)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class TextBranch(nn.Module):
    """tokens (N, L) -> (N, HIDDEN); two sequence encoders, BN only after moving E/H to dim 1"""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        layer = nn.TransformerEncoderLayer(d_model=EMB, nhead=4, dim_feedforward=4 * EMB, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.pooled_bn = nn.BatchNorm1d(EMB)
        self.gru = nn.GRU(EMB, HIDDEN, batch_first=True)
        self.seq_bn = nn.BatchNorm1d(HIDDEN)
        self.proj = nn.Linear(EMB + HIDDEN, HIDDEN)

    def forward(self, tokens):
        x = self.emb(tokens)                      # (N, L, E)
        enc = self.encoder(x)                     # (N, L, E)
        pooled = self.pooled_bn(enc.mean(dim=1))  # (N, E)
        h, _ = self.gru(x)                        # (N, L, H)
        h = self.seq_bn(h.permute(0, 2, 1))       # (N, H, L)
        h = h.amax(dim=2)                         # (N, H)
        return F.relu(self.proj(torch.cat([pooled, h], dim=1)))


class TabularBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(N_TAB, 64)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.2)
        self.bn1 = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, HIDDEN, bias=False)
        self.bn2 = nn.BatchNorm1d(HIDDEN)

    def forward(self, x):
        x = self.bn1(self.drop(self.act(self.fc1(x))))
        return F.relu(self.bn2(self.fc2(x)))


class MultiModalNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.audio = AudioBranch()
        self.video = VideoBranch()
        self.text = TextBranch()
        self.tab = TabularBranch()
        self.fuse = nn.Linear(4 * HIDDEN, HIDDEN, bias=False)
        self.fuse_bn = nn.BatchNorm1d(HIDDEN)
        self.cls = nn.Linear(HIDDEN, N_CLASSES)

    def forward(self, audio, video, tokens, tab):
        z = torch.cat([self.audio(audio), self.video(video), self.text(tokens), self.tab(tab)], dim=1)
        return self.cls(F.relu(self.fuse_bn(self.fuse(z))))


def fake_batch(n):
    return (torch.randn(n, AUDIO_MELS, 100), torch.randn(n, VIDEO_CH, 8, 32, 32), torch.randint(1, VOCAB, (n, 20)), torch.randn(n, N_TAB))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = MultiModalNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for step in range(3):
        model.train()
        audio, video, tokens, tab = fake_batch(16)
        y = torch.randint(0, N_CLASSES, (16,))
        loss = F.cross_entropy(model(audio, video, tokens, tab), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")

    model.eval()
    with torch.no_grad():
        logits = model(*fake_batch(4))
    print("eval logits:", tuple(logits.shape), logits.argmax(1).tolist())
