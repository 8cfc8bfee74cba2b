# RSNA Screening Mammography -- 1536x960 crops, EfficientNet-B3 + custom head, 2 GPUs via mp.spawn
import os
import random

import numpy as np
import pandas as pd
import timm
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from PIL import Image
from sklearn.metrics import roc_auc_score
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
import torchvision.transforms as T

CONFIG = {
    "backbone": "tf_efficientnet_b3_ns",
    "img_h": 1536,
    "img_w": 960,
    "batch_size": 4,      # per GPU, 1536x960 does not fit more in 24GB
    "epochs": 8,
    "lr": 2e-4,
    "world_size": 2,
    "fold": 0,
    "data_dir": "/data/rsna-bcd/png_1536",
    "seed": 1234,
}


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def pfbeta(labels, preds, beta=1.0):
    preds = np.clip(preds, 0, 1)
    ctp = (labels * preds).sum()
    cfp = ((1 - labels) * preds).sum()
    y_true_count = labels.sum()
    c_precision = ctp / (ctp + cfp + 1e-9)
    c_recall = ctp / (y_true_count + 1e-9)
    if c_precision > 0 and c_recall > 0:
        return (1 + beta ** 2) * c_precision * c_recall / (beta ** 2 * c_precision + c_recall)
    return 0.0


class MammoDataset(Dataset):
    def __init__(self, df, data_dir, tfm):
        self.paths = [f"{data_dir}/{p}_{i}.png" for p, i in zip(df.patient_id, df.image_id)]
        self.labels = df.cancer.values.astype(np.float32)
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        img = Image.open(self.paths[idx]).convert("RGB")
        return self.tfm(img), self.labels[idx]


class MammoHead(nn.Module):
    def __init__(self, in_ch, mid_ch=256):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, mid_ch, kernel_size=3, padding=1)  # expect: BN204
        self.bn = nn.BatchNorm2d(mid_ch)
        self.act = nn.SiLU(inplace=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(mid_ch, 1)

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))
        return self.fc(self.pool(x).flatten(1))


class MammoNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.encoder = timm.create_model(backbone, pretrained=True, num_classes=0, global_pool="")
        self.head = MammoHead(self.encoder.num_features)

    def forward(self, x):
        return self.head(self.encoder(x))


def worker(rank, cfg):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29512")
    dist.init_process_group("nccl", rank=rank, world_size=cfg["world_size"])
    torch.cuda.set_device(rank)
    seed_everything(cfg["seed"] + rank)

    df = pd.read_csv(f"{cfg['data_dir']}/train_folds.csv")
    tfm_train = T.Compose([T.Resize((cfg["img_h"], cfg["img_w"])), T.RandomHorizontalFlip(), T.RandomAffine(10, scale=(0.9, 1.1)), T.ToTensor()])
    tfm_valid = T.Compose([T.Resize((cfg["img_h"], cfg["img_w"])), T.ToTensor()])
    train_ds = MammoDataset(df[df.fold != cfg["fold"]], cfg["data_dir"], tfm_train)
    valid_ds = MammoDataset(df[df.fold == cfg["fold"]], cfg["data_dir"], tfm_valid)

    sampler = DistributedSampler(train_ds, num_replicas=cfg["world_size"], rank=rank, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], sampler=sampler, num_workers=6, pin_memory=True, drop_last=True)  # expect: BN301, BN304
    valid_loader = DataLoader(valid_ds, batch_size=16, shuffle=False, num_workers=6)

    model = MammoNet(cfg["backbone"]).cuda(rank)
    model = DistributedDataParallel(model, device_ids=[rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([4.0], device=rank))
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(cfg["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        for images, labels in train_loader:
            images, labels = images.cuda(rank), labels.cuda(rank)
            with torch.cuda.amp.autocast():
                loss = criterion(model(images).squeeze(1), labels)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        if rank == 0:
            model.eval()
            preds, gts = [], []
            with torch.no_grad():
                for images, labels in valid_loader:
                    preds.append(torch.sigmoid(model.module(images.cuda(rank))).squeeze(1).cpu().numpy())
                    gts.append(labels.numpy())
            score = pfbeta(np.concatenate(gts), np.concatenate(preds))
            auc = roc_auc_score(np.concatenate(gts), np.concatenate(preds))
            print(f"epoch {epoch}: pF1 {score:.4f} AUC {auc:.4f}", flush=True)
            torch.save(model.module.state_dict(), f"mammo_fold{cfg['fold']}_ep{epoch}.pth")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(worker, args=(CONFIG,), nprocs=CONFIG["world_size"], join=True)
