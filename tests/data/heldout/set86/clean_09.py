"""Multi-GPU training of a raw-waveform music-genre classifier (GTZAN, 3 s crops).

    torchrun --standalone --nproc_per_node=8 clean_09.py --data data/gtzan_16k
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
SR = 16000
CROP = 3 * SR


class GTZANCrops(Dataset):
    def __init__(self, root, split):
        with open(os.path.join(root, f"{split}.txt")) as f:
            self.files = [line.strip() for line in f if line.strip()]
        self.root, self.train = root, split == "train"

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        wav, _ = torchaudio.load(os.path.join(self.root, self.files[i]))
        wav = wav.mean(0)
        start = torch.randint(0, wav.numel() - CROP, (1,)).item() if self.train else (wav.numel() - CROP) // 2
        label = GENRES.index(self.files[i].split("/")[0])
        return wav[start:start + CROP].unsqueeze(0), label


class SampleCNN(nn.Module):
    def __init__(self, n_classes=len(GENRES), channels=(128, 128, 128, 256, 256, 256, 512)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, channels[0], 3, stride=3, bias=False),
                                  nn.BatchNorm1d(channels[0]), nn.ReLU())
        blocks = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            blocks += [nn.Conv1d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm1d(c_out),
                       nn.ReLU(), nn.MaxPool1d(3)]
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels[-1], n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_max_pool1d(x, 1).flatten(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/gtzan_16k")
    ap.add_argument("--batch-per-gpu", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    train_ds, val_ds = GTZANCrops(args.data, "train"), GTZANCrops(args.data, "val")
    train_sampler = DistributedSampler(train_ds, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val_ds, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=args.batch_per_gpu, sampler=train_sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_per_gpu, sampler=val_sampler, num_workers=8)

    model = SampleCNN()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # before wrapping in DDP
    model = DistributedDataParallel(model.cuda(local_rank), device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for wav, label in train_loader:
            wav, label = wav.cuda(non_blocking=True), label.cuda(non_blocking=True)
            loss = F.cross_entropy(model(wav), label)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        model.eval()
        stats = torch.zeros(2, device="cuda")
        with torch.no_grad():
            for wav, label in val_loader:
                pred = model(wav.cuda(non_blocking=True)).argmax(1)
                stats[0] += (pred == label.cuda()).sum()
                stats[1] += label.numel()
        dist.all_reduce(stats)
        if is_main:
            print(f"epoch {epoch}: train loss {loss.item():.4f}, val acc {(stats[0] / stats[1]).item():.4f}")
            torch.save(model.module.state_dict(), "samplecnn_gtzan.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
