"""Multi-GPU training of a 12-lead ECG arrhythmia classifier (1D ResNet with
SyncBatchNorm), followed by an int8 export with conv-BN-ReLU fusion.

    torchrun --nproc_per_node 4 clean_10.py --data /data/ecg
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

LEADS = 12
SAMPLES = 5000          # 10 s at 500 Hz
NUM_LABELS = 23
NUM_TRAIN_RECORDS = 17_441
PER_DEVICE_BATCH = 32


class ECGRecords(Dataset):
    def __init__(self, root: str, split: str):
        self.signals = np.load(os.path.join(root, f"{split}_signals.npy"), mmap_mode="r")  # (R, 12, 5000)
        self.labels = np.load(os.path.join(root, f"{split}_labels.npy"))                  # (R, 23) multi-hot
        self.split = split

    def __len__(self) -> int:
        return NUM_TRAIN_RECORDS if self.split == "train" else len(self.labels)

    def __getitem__(self, i: int):
        x = torch.from_numpy(np.array(self.signals[i], dtype=np.float32))
        return x, torch.from_numpy(self.labels[i].astype(np.float32))


class ConvBNReLU(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class ECGResNet(nn.Module):
    def __init__(self, widths=(64, 128, 192, 256), num_labels: int = NUM_LABELS):
        super().__init__()
        self.stem = ConvBNReLU(LEADS, widths[0], 15, stride=2)
        stages, prev = [], widths[0]
        for w in widths:
            stages += [ConvBNReLU(prev, w, 9, stride=2), ConvBNReLU(w, w, 9)]
            prev = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(prev * 2, num_labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stages(self.stem(x))
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1))


def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    probs, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            probs.append(torch.sigmoid(model(x.to(device))).cpu())
            labels.append(y)
    p, y = torch.cat(probs), torch.cat(labels)
    f1 = []
    for k in range(y.shape[1]):
        tp = ((p[:, k] > 0.5) & (y[:, k] == 1)).sum().item()
        fp = ((p[:, k] > 0.5) & (y[:, k] == 0)).sum().item()
        fn = ((p[:, k] <= 0.5) & (y[:, k] == 1)).sum().item()
        f1.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(f1))


def export_int8(state_dict: dict, path: str) -> None:
    model = ECGResNet()
    model.load_state_dict(state_dict)
    model.eval()
    blocks = ["stem"] + [f"stages.{i}" for i in range(len(model.stages))]
    fused = torch.ao.quantization.fuse_modules(model, [[f"{b}.conv", f"{b}.bn", f"{b}.relu"] for b in blocks])
    qmodel = torch.ao.quantization.quantize_dynamic(fused, {nn.Linear}, dtype=torch.qint8)
    torch.save(qmodel.state_dict(), path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/data/ecg")
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    rank, local_rank = dist.get_rank(), int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    model = ECGResNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).to(device)
    model = DDP(model, device_ids=[local_rank])

    train_ds = ECGRecords(args.data, "train")
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=PER_DEVICE_BATCH, sampler=sampler, drop_last=True, num_workers=6, pin_memory=True)
    val_loader = DataLoader(ECGRecords(args.data, "val"), batch_size=1, num_workers=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3 * dist.get_world_size(), weight_decay=1e-2)
    pos_weight = torch.full((NUM_LABELS,), 3.0, device=device)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            logits = model(x.to(device, non_blocking=True))
            loss = F.binary_cross_entropy_with_logits(logits, y.to(device), pos_weight=pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if rank == 0:
            f1 = evaluate(model.module, val_loader, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} val macro-F1 {f1:.4f}")
        dist.barrier()

    if rank == 0:
        state = {k: v.cpu() for k, v in model.module.state_dict().items()}
        torch.save(state, "ecg_resnet_fp32.pt")
        export_int8(state, "ecg_resnet_int8.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
