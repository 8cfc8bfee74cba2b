#!/usr/bin/env python
"""x-vector speaker embedding extractor (Snyder et al. 2018), trained on VoxCeleb1
fbank features, then exported to ONNX for the on-device verification service."""
import argparse
import glob
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader

FEAT_DIM = 30
EMBED_DIM = 512


class FbankSegments(Dataset):
    """Reads precomputed fbank matrices (T, FEAT_DIM) stored as <spk>/<utt>.npy."""

    def __init__(self, root, seg_len=200):
        self.files = sorted(glob.glob(os.path.join(root, "*", "*.npy")))
        speakers = sorted({os.path.basename(os.path.dirname(f)) for f in self.files})
        self.spk2idx = {s: i for i, s in enumerate(speakers)}
        self.seg_len = seg_len

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        path = self.files[i]
        feats = np.load(path)
        if feats.shape[0] <= self.seg_len:
            feats = np.pad(feats, ((0, self.seg_len - feats.shape[0] + 1), (0, 0)), mode="wrap")
        start = random.randint(0, feats.shape[0] - self.seg_len)
        seg = feats[start:start + self.seg_len]
        seg = (seg - seg.mean(0)) / (seg.std(0) + 1e-5)
        spk = self.spk2idx[os.path.basename(os.path.dirname(path))]
        return torch.from_numpy(seg.T.astype(np.float32)), spk


class TDNN(nn.Module):
    def __init__(self, in_dim, out_dim, context, dilation=1):
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, context, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))


class XVector(nn.Module):
    def __init__(self, n_speakers, feat_dim=FEAT_DIM):
        super().__init__()
        self.frame_layers = nn.Sequential(
            TDNN(feat_dim, 512, 5, 1),
            TDNN(512, 512, 3, 2),
            TDNN(512, 512, 3, 3),
            TDNN(512, 512, 1, 1),
        )
        self.expand = nn.Conv1d(512, 1500, 1, bias=False)
        self.expand_bn = nn.BatchNorm1d(512)  # expect: BN201
        self.seg1 = nn.Linear(3000, EMBED_DIM, bias=False)
        self.seg_bn1 = nn.BatchNorm1d(EMBED_DIM, 0.1)  # expect: BN206
        self.seg2 = nn.Linear(EMBED_DIM, EMBED_DIM, bias=False)
        self.seg_bn2 = nn.BatchNorm1d(EMBED_DIM)
        self.classifier = nn.Linear(EMBED_DIM, n_speakers)

    def embed(self, x):
        x = self.frame_layers(x)
        x = F.relu(self.expand_bn(self.expand(x)))
        stats = torch.cat([x.mean(dim=2), x.std(dim=2)], dim=1)  # (N, 3000)
        return self.seg_bn1(self.seg1(stats))

    def forward(self, x):
        emb = self.embed(x)
        h = F.relu(emb)
        h = F.relu(self.seg_bn2(self.seg2(h)))
        return self.classifier(h)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train-dir", default="data/vox1_dev_fbank")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ckpt", default="xvector.pt")
    p.add_argument("--onnx-out", default="xvector.onnx")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset = FbankSegments(args.train_dir)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                        num_workers=8, drop_last=True)
    model = XVector(n_speakers=len(dataset.spk2idx)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=2e-5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)

    model.train()
    for epoch in range(args.epochs):
        epoch_loss, correct, seen = 0.0, 0, 0
        for feats, spk in loader:
            feats, spk = feats.to(device), spk.to(device)
            logits = model(feats)
            loss = F.cross_entropy(logits, spk)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
            correct += (logits.argmax(1) == spk).sum().item()
            seen += spk.numel()
        scheduler.step()
        print(f"epoch {epoch}: loss {epoch_loss / len(loader):.3f} train acc {correct / seen:.3f}")

    torch.save(model.state_dict(), args.ckpt)

    # export for the verification backend (it scores with the speaker logits)
    dummy = torch.randn(1, FEAT_DIM, 300, device=device)
    torch.onnx.export(model, dummy, args.onnx_out,  # expect: BN104
                      input_names=["fbank"], output_names=["logits"],
                      dynamic_axes={"fbank": {0: "batch", 2: "frames"}},
                      opset_version=17)
    print("exported", args.onnx_out)


if __name__ == "__main__":
    main()
