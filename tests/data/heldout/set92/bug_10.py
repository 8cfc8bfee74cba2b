# %%writefile train_ddp.py
# Kaggle 2xT4 notebook: the training cell writes this file and launches it with
#   !torchrun --nproc_per_node=2 train_ddp.py
# Histopathologic cancer detection, small CNN with a stem pretrained on PCam (stage 1).
import os

import pandas as pd
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
import torchvision.transforms as T

DATA = "/kaggle/input/histopathologic-cancer-detection"
STEM_CKPT = "/kaggle/input/pcam-stem/stem_stage1.pt"
EPOCHS = 8
PER_GPU_BATCH = 96
LR = 1e-3


class PatchDataset(Dataset):
    def __init__(self, df, tf):
        self.ids, self.labels, self.tf = df.id.values, df.label.values, tf

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        img = Image.open(f"{DATA}/train/{self.ids[i]}.tif")
        return self.tf(img), torch.tensor(self.labels[i], dtype=torch.float32)


def cbr(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PatchNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(*cbr(3, 32), *cbr(32, 32), nn.MaxPool2d(2))
        self.body = nn.Sequential(*cbr(32, 64, 2), *cbr(64, 64), *cbr(64, 128, 2), *cbr(128, 128))
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        x = self.body(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1)).squeeze(1)


def freeze_stem_bn(net):
    # the stem was trained with big batches in stage 1: keep its statistics
    for m in net.stem.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


@torch.no_grad()
def validate(net, loader, device):
    net.eval()
    correct = n = 0
    for x, y in loader:
        p = net(x.cuda(device)).sigmoid().cpu()
        correct += ((p > 0.5).float() == y).sum().item()
        n += len(y)
    return correct / n


def main():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    df = pd.read_csv(f"{DATA}/train_labels.csv")
    val_df = df.sample(frac=0.1, random_state=0)
    tr_df = df.drop(val_df.index)
    tf = T.Compose([T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ToTensor()])
    train_ds = PatchDataset(tr_df, tf)
    val_ds = PatchDataset(val_df, T.ToTensor())
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=2,
                              pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=2)

    net = PatchNet()
    net.stem.load_state_dict(torch.load(STEM_CKPT, map_location="cpu"))
    net = net.cuda(local_rank)
    model = DDP(net, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    freeze_stem_bn(model.module)

    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()  # expect: BN105
        for x, y in train_loader:
            x, y = x.cuda(local_rank, non_blocking=True), y.cuda(local_rank, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.binary_cross_entropy_with_logits(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        if rank == 0:
            print(f"epoch {epoch}: last loss {loss.item():.4f}", flush=True)
            torch.save(model.module.state_dict(), f"patchnet_e{epoch}.pt")
        dist.barrier()

    if rank == 0:
        print(f"val acc {validate(model.module, val_loader, local_rank):.4f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
