# %%writefile train_ddp.py
# Kaggle 2xT4: `!torchrun --nproc_per_node=2 train_ddp.py`
# Histopathologic cancer detection - v5: SyncBN converted *before* DDP wrapping,
# stem BN frozen after every model.train().
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
CFG = dict(epochs=8, per_gpu_batch=32, lr=1e-3, workers=2)


class PatchDataset(Dataset):
    def __init__(self, df, tf):
        self.ids, self.labels, self.tf = df.id.values, df.label.values, tf

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return self.tf(Image.open(f"{DATA}/train/{self.ids[i]}.tif")), torch.tensor(self.labels[i], dtype=torch.float32)


def cbr(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PatchNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(*cbr(3, 32), *cbr(32, 32), nn.MaxPool2d(2))
        self.body = nn.Sequential(*cbr(32, 64, 2), *cbr(64, 64), *cbr(64, 128, 2), *cbr(128, 128))
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.body(self.stem(x)), 1).flatten(1)).squeeze(1)


def freeze_stem_bn(net):
    for m in net.stem.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


@torch.no_grad()
def validate(net, loader, device):
    net.eval()
    correct = n = 0
    for x, y in loader:
        p = torch.sigmoid(net(x.to(device))).cpu()
        correct += ((p > 0.5).float() == y).sum().item()
        n += len(y)
    return correct / n


def main():
    dist.init_process_group(backend="nccl")
    rank, local_rank = dist.get_rank(), int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    df = pd.read_csv(f"{DATA}/train_labels.csv")
    val_df = df.sample(frac=0.1, random_state=0)
    tr_df = df.drop(val_df.index)
    train_ds = PatchDataset(tr_df, T.Compose([T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ToTensor()]))
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=CFG["per_gpu_batch"], sampler=sampler,
                              num_workers=CFG["workers"], pin_memory=True, drop_last=True)
    val_loader = DataLoader(PatchDataset(val_df, T.ToTensor()), batch_size=256, num_workers=CFG["workers"])

    net = PatchNet()
    net.stem.load_state_dict(torch.load(STEM_CKPT, map_location="cpu"))
    net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    model = DDP(net.to(device), device_ids=[local_rank])

    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(CFG["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        freeze_stem_bn(model.module)          # re-freeze after train() flipped them back
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
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
        acc = validate(model.module, val_loader, device)
        print(f"final val acc {acc:.4f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
