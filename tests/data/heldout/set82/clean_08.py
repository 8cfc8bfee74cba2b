"""
Speech emotion recognition on RAVDESS by linear probing (then partial fine-tuning)
of a VGGish-style log-mel encoder pretrained on AudioSet.

The frozen part of the encoder is kept in eval mode by overriding train(), so its
BatchNorm running statistics stay exactly the pretrained ones.
"""
import argparse
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset

EMOTIONS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


def vgg_stage(cin, cout, n_convs):
    layers = []
    for i in range(n_convs):
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = vgg_stage(1, 64, 1)
        self.stage2 = vgg_stage(64, 128, 1)
        self.stage3 = vgg_stage(128, 256, 2)
        self.stage4 = vgg_stage(256, 512, 2)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return x.mean(dim=(2, 3))


class EmotionModel(nn.Module):
    def __init__(self, encoder, n_classes=len(EMOTIONS), trainable_stages=("stage4",)):
        super().__init__()
        self.encoder = encoder
        self.frozen = [name for name, _ in encoder.named_children() if name not in trainable_stages]
        for name in self.frozen:
            getattr(self.encoder, name).requires_grad_(False)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(512, n_classes))

    def train(self, mode=True):
        super().train(mode)
        for name in self.frozen:
            getattr(self.encoder, name).eval()
        return self

    def forward(self, x):
        return self.head(self.encoder(x))


class Ravdess(Dataset):
    PATTERN = re.compile(r"03-01-(\d\d)-\d\d-\d\d-\d\d-(\d\d)\.wav")

    def __init__(self, root, actors):
        self.items = []
        for dirpath, _, files in os.walk(root):
            for fn in files:
                m = self.PATTERN.match(fn)
                if m and int(m.group(2)) in actors:
                    self.items.append((os.path.join(dirpath, fn), int(m.group(1)) - 1))
        self.mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=64)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        wav, sr = torchaudio.load(path)
        wav = torchaudio.functional.resample(wav.mean(0, keepdim=True), sr, 16000)[:, :16000 * 3]
        wav = F.pad(wav, (0, 16000 * 3 - wav.shape[1]))
        return torch.log(self.mel(wav) + 1e-6), label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/RAVDESS")
    ap.add_argument("--encoder-ckpt", default="vggish_audioset_bn.pt")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    train_actors, test_actors = set(range(1, 21)), set(range(21, 25))
    train_dl = DataLoader(Ravdess(args.root, train_actors), batch_size=args.batch_size,
                          shuffle=True, num_workers=4)
    test_dl = DataLoader(Ravdess(args.root, test_actors), batch_size=64, num_workers=4)

    encoder = Encoder()
    encoder.load_state_dict(torch.load(args.encoder_ckpt, map_location="cpu"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = EmotionModel(encoder).to(device)

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=3e-4, weight_decay=1e-2)
    print(f"trainable params: {sum(p.numel() for p in params):,}")

    for epoch in range(args.epochs):
        model.train()
        for mel, y in train_dl:
            mel, y = mel.to(device), y.to(device)
            loss = F.cross_entropy(model(mel), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        correct = total = 0
        with torch.no_grad():
            for mel, y in test_dl:
                correct += (model(mel.to(device)).argmax(1).cpu() == y).sum().item()
                total += len(y)
        print(f"epoch {epoch}: loss {loss.item():.3f} unseen-actor acc {correct / total:.3f}")

    torch.save(model.state_dict(), "ravdess_emotion.pt")


if __name__ == "__main__":
    main()
