# ESC-50 environmental sound classification, distributed data parallel.
# torchrun --nproc_per_node=8 bug_09.py
import os
import time

import pandas as pd
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

cfg = dict(
    root="/data/ESC-50-master",
    val_fold=5,
    per_gpu_batch=4,
    epochs=80,
    lr=0.05,
    weight_decay=5e-4,
    n_mels=128,
    out="esc50_resnet.pt",
)


class ESC50(Dataset):
    def __init__(self, root, folds):
        meta = pd.read_csv(os.path.join(root, "meta", "esc50.csv"))
        self.meta = meta[meta.fold.isin(folds)].reset_index(drop=True)
        self.root = root
        self.mel = torchaudio.transforms.MelSpectrogram(44100, n_fft=2048, hop_length=512, n_mels=cfg["n_mels"])

    def __len__(self):
        return len(self.meta)

    def __getitem__(self, i):
        row = self.meta.iloc[i]
        wav, _ = torchaudio.load(os.path.join(self.root, "audio", row.filename))
        spec = torch.log(self.mel(wav) + 1e-6)
        return spec, int(row.target)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.short(x))


class AudioResNet(nn.Module):
    def __init__(self, n_classes=50):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.layer1 = BasicBlock(64, 64)
        self.layer2 = BasicBlock(64, 128, stride=2)
        self.layer3 = BasicBlock(128, 256, stride=2)
        self.fc = nn.Linear(256, n_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    train_set = ESC50(cfg["root"], [f for f in range(1, 6) if f != cfg["val_fold"]])
    val_set = ESC50(cfg["root"], [cfg["val_fold"]])
    train_sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=cfg["per_gpu_batch"], sampler=train_sampler, num_workers=4)  # expect: BN304
    val_loader = DataLoader(val_set, batch_size=64, num_workers=4)

    model = AudioResNet().cuda()
    model = DistributedDataParallel(model, device_ids=[local_rank])
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9,
                          weight_decay=cfg["weight_decay"], nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["epochs"])

    for epoch in range(cfg["epochs"]):
        train_sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        for spec, y in train_loader:
            spec, y = spec.cuda(non_blocking=True), y.cuda(non_blocking=True)
            loss = F.cross_entropy(model(spec), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

        if is_main:
            model.eval()
            correct = 0
            with torch.no_grad():
                for spec, y in val_loader:
                    correct += (model.module(spec.cuda()).argmax(1).cpu() == y).sum().item()
            print(f"epoch {epoch} acc {correct / len(val_set):.3f} time {time.time() - t0:.0f}s")
        dist.barrier()

    if is_main:
        torch.save(model.module.state_dict(), cfg["out"])
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
