"""Keyword spotting (Speech Commands v2) with a small CNN on log-mel spectrograms, DDP.

torchrun --nproc_per_node 2 kws_ddp.py
"""
import os
from dataclasses import dataclass, asdict

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


@dataclass
class Cfg:
    root: str = "./speech_commands"
    per_device_batch_size: int = 16
    epochs: int = 40
    lr: float = 3e-3
    n_mels: int = 64
    probe_every: int = 500
    ckpt: str = "kws_cnn.pt"


class SubsetSC(torchaudio.datasets.SPEECHCOMMANDS):
    def __init__(self, root, subset):
        super().__init__(root, download=False, subset=subset)
        self._walker = [w for w in self._walker if os.path.basename(os.path.dirname(w)) in LABELS]


def collate(batch, n_mels=64):
    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=480, hop_length=160, n_mels=n_mels)
    feats, targets = [], []
    for wav, sr, label, *_ in batch:
        wav = F.pad(wav, (0, 16000 - wav.shape[-1]))
        feats.append(torch.log(mel(wav) + 1e-6))
        targets.append(LABELS.index(label))
    return torch.stack(feats), torch.tensor(targets)


class KWSNet(nn.Module):
    def __init__(self, n_classes=len(LABELS)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv1d(64, 128, 5, padding=2, bias=False)
        self.bn3 = nn.BatchNorm1d(128)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):                                  # (N, 1, n_mels, T)
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = x.mean(dim=2)                                  # pool frequency -> (N, 64, T/4)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(x.amax(dim=-1))


def validate(model, loader, device):
    model.eval()
    correct = torch.zeros(2, device=device)
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct[0] += (model(x).argmax(-1) == y).sum()
            correct[1] += y.numel()
    dist.all_reduce(correct)
    model.train()
    return (correct[0] / correct[1]).item()


def main(cfg: Cfg):
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    rank = dist.get_rank()
    if rank == 0:
        print(asdict(cfg))

    train_set, val_set = SubsetSC(cfg.root, "training"), SubsetSC(cfg.root, "validation")
    train_sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=cfg.per_device_batch_size, sampler=train_sampler, collate_fn=collate, num_workers=4)
    val_loader = DataLoader(val_set, batch_size=cfg.per_device_batch_size, sampler=DistributedSampler(val_set, shuffle=False), collate_fn=collate, num_workers=4)
    probe_batch = next(iter(DataLoader(val_set, batch_size=256, shuffle=False, collate_fn=collate)))

    model = DDP(KWSNet().to(device), device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * len(train_loader))

    model.train()
    global_step = 0
    for epoch in range(cfg.epochs):
        train_sampler.set_epoch(epoch)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            global_step += 1

            if rank == 0 and global_step % cfg.probe_every == 0:
                model.module.eval()
                with torch.no_grad():
                    px, py = probe_batch
                    probe_acc = (model.module(px.to(device)).argmax(-1).cpu() == py).float().mean().item()
                model.module.train()
                print(f"step {global_step}: loss {loss.item():.3f} probe acc {probe_acc:.3f}")

        acc = validate(model, val_loader, device)
        if rank == 0:
            print(f"epoch {epoch}: val acc {acc:.4f}")
            torch.save(model.module.state_dict(), cfg.ckpt)

    dist.destroy_process_group()


if __name__ == "__main__":
    main(Cfg())
