# Distributed training of an environmental-sound classifier (ESC-50 style) on
# log-mel spectrograms.  Launch with:
#   torchrun --nproc_per_node=4 bug_06.py
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

cfg = dict(
    meta_csv="data/esc50/meta/esc50.csv",
    audio_dir="data/esc50/audio",
    sample_rate=44100,
    n_mels=128,
    n_classes=50,
    per_gpu_batch=32,
    epochs=60,
    lr=0.05,
    val_fold=5,
    out="checkpoints/esc50_cnn.pt",
)


class ESC50(Dataset):
    def __init__(self, meta_csv, audio_dir, folds, sample_rate, n_mels):
        import pandas as pd
        meta = pd.read_csv(meta_csv)
        self.meta = meta[meta.fold.isin(folds)].reset_index(drop=True)
        self.audio_dir = audio_dir
        self.melspec = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=2048, hop_length=512, n_mels=n_mels)
        self.to_db = torchaudio.transforms.AmplitudeToDB()

    def __len__(self):
        return len(self.meta)

    def __getitem__(self, i):
        row = self.meta.iloc[i]
        wav, _ = torchaudio.load(os.path.join(self.audio_dir, row.filename))
        spec = self.to_db(self.melspec(wav.mean(0, keepdim=True)))   # (1, n_mels, frames)
        return spec, int(row.target)


def conv_bn(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class SoundCNN(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.input_bn = nn.BatchNorm2d(1, momentum=0.9)  # expect: BN205
        self.body = nn.Sequential(
            conv_bn(1, 32), conv_bn(32, 32), nn.MaxPool2d(2),
            conv_bn(32, 64), conv_bn(64, 64), nn.MaxPool2d(2),
            conv_bn(64, 128), conv_bn(128, 128), nn.MaxPool2d(2),
            conv_bn(128, 256), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(256, n_classes)

    def forward(self, x):
        x = self.body(self.input_bn(x))
        return self.fc(torch.flatten(x, 1))


def main():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_folds = [f for f in range(1, 6) if f != cfg["val_fold"]]
    train_ds = ESC50(cfg["meta_csv"], cfg["audio_dir"], train_folds, cfg["sample_rate"], cfg["n_mels"])
    val_ds = ESC50(cfg["meta_csv"], cfg["audio_dir"], [cfg["val_fold"]], cfg["sample_rate"], cfg["n_mels"])
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=cfg["per_gpu_batch"], sampler=sampler, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=64, num_workers=4)

    model = SoundCNN(cfg["n_classes"]).to(device)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg["epochs"])

    for epoch in range(cfg["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        for spec, target in train_loader:
            spec, target = spec.to(device, non_blocking=True), target.to(device, non_blocking=True)
            loss = F.cross_entropy(model(spec), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()

        if rank == 0:
            model.eval()
            correct = total = 0
            with torch.no_grad():
                for spec, target in val_loader:
                    pred = model.module(spec.to(device)).argmax(1).cpu()
                    correct += (pred == target).sum().item()
                    total += target.numel()
            print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / total:.3f}", flush=True)
        dist.barrier()

    if rank == 0:
        os.makedirs(os.path.dirname(cfg["out"]), exist_ok=True)
        torch.save(model.module.state_dict(), cfg["out"])
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
