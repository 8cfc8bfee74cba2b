"""Keyword spotting on Speech Commands v2 from raw waveforms.

wav2vec-style convolutional feature encoder (BatchNorm after every Conv1d), a small
transformer on top, trained with DDP:

    torchrun --nproc_per_node=4 clean_05.py --root SpeechCommands
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
SAMPLE_RATE = 16000
# (dim, kernel, stride) as in wav2vec 2.0, slimmed down
ENCODER_SPEC = [(256, 10, 5), (256, 3, 2), (256, 3, 2), (256, 3, 2), (256, 2, 2)]


def conv_block(n_in, n_out, k, stride):
    return nn.Sequential(
        nn.Conv1d(n_in, n_out, kernel_size=k, stride=stride, bias=False),
        nn.BatchNorm1d(n_out),
        nn.GELU(),
    )


class FeatureEncoder(nn.Module):
    def __init__(self, spec=ENCODER_SPEC):
        super().__init__()
        blocks, in_d = [], 1
        for dim, k, stride in spec:
            blocks.append(conv_block(in_d, dim, k, stride))
            in_d = dim
        self.blocks = nn.Sequential(*blocks)
        self.out_dim = in_d

    def forward(self, wav):  # wav: (N, T)
        return self.blocks(wav.unsqueeze(1))  # (N, C, T')


class KWSModel(nn.Module):
    def __init__(self, n_classes=len(LABELS) + 2, d_model=192, n_layers=4):
        super().__init__()
        self.encoder = FeatureEncoder()
        self.feat_norm = nn.LayerNorm(self.encoder.out_dim)
        self.proj = nn.Linear(self.encoder.out_dim, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=4 * d_model, dropout=0.1, batch_first=True)
        self.context = nn.TransformerEncoder(layer, n_layers)
        self.cls_bn = nn.BatchNorm1d(d_model)
        self.cls = nn.Linear(d_model, n_classes)

    def forward(self, wav):
        feats = self.encoder(wav).transpose(1, 2)  # (N, T', C)
        x = self.proj(self.feat_norm(feats))  # LayerNorm on (N, T', C) normalises C
        x = self.context(x)  # (N, T', d_model)
        pooled = x.mean(dim=1)  # (N, d_model)
        return self.cls(self.cls_bn(pooled))


class SpeechCommandsKWS(torch.utils.data.Dataset):
    def __init__(self, root, subset):
        self.ds = torchaudio.datasets.SPEECHCOMMANDS(root, download=False, subset=subset)
        self.label_to_idx = {lab: i for i, lab in enumerate(LABELS)}

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        wav, sr, label, *_ = self.ds[i]
        wav = F.pad(wav[0], (0, SAMPLE_RATE - wav.size(-1)))[:SAMPLE_RATE]
        return wav, self.label_to_idx.get(label, len(LABELS))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="SpeechCommands")
    ap.add_argument("--batch-size", type=int, default=64, help="per process")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    train_ds = SpeechCommandsKWS(args.root, "training")
    val_ds = SpeechCommandsKWS(args.root, "validation")
    train_sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=8)

    model = KWSModel()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.cuda(local_rank)
    model = DistributedDataParallel(model, device_ids=[local_rank])

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for wav, y in train_loader:
            wav, y = wav.cuda(local_rank, non_blocking=True), y.cuda(local_rank, non_blocking=True)
            loss = F.cross_entropy(model(wav), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        if rank == 0:
            model.eval()
            correct = total = 0
            with torch.no_grad():
                for wav, y in val_loader:
                    pred = model.module(wav.cuda(local_rank)).argmax(-1).cpu()
                    correct += (pred == y).sum().item()
                    total += y.numel()
            print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / total:.4f}")
            torch.save(model.module.state_dict(), "kws_wav2vec.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
