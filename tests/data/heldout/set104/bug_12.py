"""3D CNN for brain-MRI age regression, mixed precision on one GPU.

python train_brainage.py --csv data/ixi.csv --volumes data/npy --batch-size 4
"""
import argparse
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.cuda import amp
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm


class MRIDataset(Dataset):
    def __init__(self, df, vol_dir, augment=False):
        self.df = df.reset_index(drop=True)
        self.vol_dir = vol_dir
        self.augment = augment

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        vol = np.load(os.path.join(self.vol_dir, f"{row.subject_id}.npy")).astype(np.float32)
        vol = (vol - vol.mean()) / (vol.std() + 1e-6)
        if self.augment and np.random.rand() < 0.5:
            vol = vol[:, :, ::-1].copy()
        return torch.from_numpy(vol).unsqueeze(0), torch.tensor(row.age, dtype=torch.float32)


def block3d(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool3d(2),
    )


class SFCN(nn.Module):
    """Simple fully convolutional network (Peng et al. 2021), slightly reduced."""

    def __init__(self, channels=(32, 64, 128, 256, 256)):
        super().__init__()
        layers, cin = [], 1
        for c in channels:
            layers.append(block3d(cin, c))
            cin = c
        self.features = nn.Sequential(*layers)
        self.regressor = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(cin, 1))

    def forward(self, x):
        return self.regressor(self.features(x)).squeeze(-1)


class Trainer:
    def __init__(self, model, train_loader, val_loader, args):
        self.model = model.cuda()
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.args = args
        self.opt = torch.optim.Adam(self.model.parameters(), lr=args.lr, weight_decay=1e-4)
        self.scaler = amp.GradScaler()
        self.loss_fn = nn.L1Loss()
        self.global_step = 0

    def quick_check(self, n_batches=4):
        errs = []
        with torch.no_grad():
            for i, (vol, age) in enumerate(self.val_loader):
                if i == n_batches:
                    break
                errs.append((self.model(vol.cuda()) - age.cuda()).abs().mean().item())
        return float(np.mean(errs))

    def fit(self):
        for epoch in range(self.args.epochs):
            self.model.train()
            pbar = tqdm(self.train_loader, desc=f"epoch {epoch}")
            for vol, age in pbar:
                vol, age = vol.cuda(non_blocking=True), age.cuda(non_blocking=True)
                with amp.autocast():
                    loss = self.loss_fn(self.model(vol), age)
                self.opt.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                self.scaler.step(self.opt)
                self.scaler.update()
                self.global_step += 1
                pbar.set_postfix(mae=f"{loss.item():.2f}")

                if self.global_step % self.args.check_every == 0:
                    self.model.eval()  # expect: BN103
                    pbar.write(f"step {self.global_step}: val MAE (subset) {self.quick_check():.2f}")

            torch.save(self.model.state_dict(), os.path.join(self.args.out_dir, f"sfcn_epoch{epoch}.pt"))


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--volumes", required=True)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--check-every", type=int, default=200)
    ap.add_argument("--out-dir", default="ckpt")
    return ap.parse_args()


if __name__ == "__main__":
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    df = pd.read_csv(args.csv)
    val_df = df.sample(frac=0.1, random_state=0)
    train_df = df.drop(val_df.index)
    train_loader = DataLoader(MRIDataset(train_df, args.volumes, augment=True), batch_size=args.batch_size, shuffle=True, num_workers=6, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(MRIDataset(val_df, args.volumes), batch_size=args.batch_size, num_workers=2)
    Trainer(SFCN(), train_loader, val_loader, args).fit()
