"""Keyword spotting (Speech Commands) DS-CNN with quantization-aware training.

Port of the TensorFlow Lite Micro DS-CNN reference model to PyTorch eager
mode quantization. The float model is pretrained by ``train_float.py``; this
script fuses, fake-quant fine-tunes and converts it to int8 for the MCU
export pipeline.
"""
import argparse

import torch
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel, stride=1, groups=1):
        pad = tuple(k // 2 for k in kernel) if isinstance(kernel, tuple) else kernel // 2
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, stride, pad, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=1e-3, momentum=0.99),  # expect: BN205
            nn.ReLU(),
        )


class DSCNN(nn.Module):
    def __init__(self, num_classes=len(LABELS) + 2, width=64, blocks=4):
        super().__init__()
        self.quant = tq.QuantStub()
        layers = [ConvBNReLU(1, width, (10, 4), stride=(2, 2))]
        for _ in range(blocks):
            layers.append(ConvBNReLU(width, width, 3, groups=width))  # depthwise
            layers.append(ConvBNReLU(width, width, 1))                # pointwise
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.features(self.quant(x))
        return self.dequant(self.fc(self.pool(x).flatten(1)))

    def fuse_groups(self):
        return [[f"features.{i}.0", f"features.{i}.1", f"features.{i}.2"]
                for i in range(len(self.features))]


class MFCCCommands(torch.utils.data.Dataset):
    def __init__(self, root, subset):
        self.ds = torchaudio.datasets.SPEECHCOMMANDS(root, download=True, subset=subset)
        self.mfcc = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=10,
                                               melkwargs={"n_fft": 640, "hop_length": 320})

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        wav, sr, label, *_ = self.ds[i]
        wav = F.pad(wav, (0, 16000 - wav.shape[-1]))[:, :16000]
        y = LABELS.index(label) if label in LABELS else len(LABELS)  # "unknown"
        return self.mfcc(wav).transpose(1, 2), y  # (1, 49ish, 10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--float-weights", default="dscnn_float.pt")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--freeze-bn-epoch", type=int, default=3)
    args = ap.parse_args()

    train_loader = DataLoader(MFCCCommands(args.root, "training"), batch_size=100,
                              shuffle=True, num_workers=4, drop_last=True)
    model = DSCNN()
    model.load_state_dict(torch.load(args.float_weights, map_location="cpu"))

    model.train()
    model = tq.fuse_modules_qat(model, model.fuse_groups())
    model.qconfig = tq.get_default_qat_qconfig("qnnpack")
    tq.prepare_qat(model, inplace=True)

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    for epoch in range(args.epochs):
        if epoch == args.freeze_bn_epoch:
            model.apply(nniqat.freeze_bn_stats)
            model.apply(tq.disable_observer)
        running = 0.0
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"QAT epoch {epoch}: loss {running / len(train_loader):.4f}")

    int8_model = tq.convert(model, inplace=False)  # expect: BN104
    torch.jit.save(torch.jit.script(int8_model), "dscnn_int8.pt")
    print("saved dscnn_int8.pt")


if __name__ == "__main__":
    main()
