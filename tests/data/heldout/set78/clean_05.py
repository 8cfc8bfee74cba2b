"""Keyword-spotting CNN on log-mel spectrograms (Speech Commands, 35 words).

The frontend produces (batch, 1, N_MELS, frames); a VGG-like stack of Conv2d
blocks treats the spectrogram as an image, then a pooled embedding head.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

SR = 16000
N_MELS = 40
N_WORDS = 35


def conv_block(in_ch, out_ch, pool=(2, 2)):
    layers = [
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    ]
    if pool is not None:
        layers.append(nn.MaxPool2d(pool))
    return nn.Sequential(*layers)


class KWSNet(nn.Module):
    def __init__(self, n_words=N_WORDS, widths=(32, 64, 128, 256), emb_dim=128):
        super().__init__()
        blocks = []
        in_ch = 1
        for i, w in enumerate(widths):
            blocks.append(conv_block(in_ch, w, pool=(2, 2) if i < 3 else None))
            in_ch = w
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Conv2d(in_ch, in_ch, kernel_size=1, bias=False),
            nn.BatchNorm2d(in_ch),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(in_ch, emb_dim, bias=False),
            nn.BatchNorm1d(emb_dim),
            nn.ReLU(inplace=True),
            nn.Linear(emb_dim, n_words),
        )

    def forward(self, spec):
        return self.head(self.features(spec))


class Frontend(nn.Module):
    def __init__(self, train_augment=True):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(SR, n_fft=480, hop_length=160, n_mels=N_MELS)
        self.freq_mask = torchaudio.transforms.FrequencyMasking(freq_mask_param=8)
        self.time_mask = torchaudio.transforms.TimeMasking(time_mask_param=20)
        self.train_augment = train_augment

    def forward(self, wav):
        spec = torch.log(self.mel(wav) + 1e-6).unsqueeze(1)
        if self.train_augment and self.training:
            spec = self.time_mask(self.freq_mask(spec))
        return spec


def fake_utterances(batch):
    return torch.randn(batch, SR) * 0.05, torch.randint(0, N_WORDS, (batch,))


def main(epochs=10, steps=100, batch_size=128):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    frontend = Frontend().to(device)
    model = KWSNet().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    for epoch in range(epochs):
        model.train()
        frontend.train()
        for _ in range(steps):
            wav, y = fake_utterances(batch_size)
            logits = model(frontend(wav.to(device)))
            loss = F.cross_entropy(logits, y.to(device), label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        frontend.eval()
        with torch.no_grad():
            wav, y = fake_utterances(256)
            acc = (model(frontend(wav.to(device))).argmax(1).cpu() == y).float().mean().item()
        print(f"epoch {epoch} loss {loss.item():.3f} acc {acc:.3f}")


if __name__ == "__main__":
    main()
