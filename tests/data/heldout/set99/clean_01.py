"""PointNet classification with PyTorch Lightning on a synthetic primitive-shape
dataset (sanity experiment of the appendix).

    python clean_01.py --epochs 50 --batch-size 32 --num-points 1024
"""
import argparse
import math

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, Dataset

SHAPES = ('sphere', 'cube', 'cylinder', 'cone', 'torus')


class SyntheticShapes(Dataset):
    """Random point clouds sampled from the surface of simple primitives."""

    def __init__(self, num_samples=4000, num_points=1024, noise=0.01, seed=0):
        self.num_samples = num_samples
        self.num_points = num_points
        self.noise = noise
        self.seed = seed

    def __len__(self):
        return self.num_samples

    def _sample(self, label, g):
        n = self.num_points
        u, v = torch.rand(n, generator=g), torch.rand(n, generator=g)
        if label == 0:  # sphere
            theta, phi = 2 * math.pi * u, torch.acos(2 * v - 1)
            pts = torch.stack([torch.sin(phi) * torch.cos(theta), torch.sin(phi) * torch.sin(theta),
                               torch.cos(phi)], 1)
        elif label == 1:  # cube
            pts = torch.rand(n, 3, generator=g) * 2 - 1
            face = torch.randint(0, 3, (n,), generator=g)
            pts[torch.arange(n), face] = torch.sign(pts[torch.arange(n), face])
        elif label == 2:  # cylinder
            theta = 2 * math.pi * u
            pts = torch.stack([torch.cos(theta), torch.sin(theta), 2 * v - 1], 1)
        elif label == 3:  # cone
            theta, h = 2 * math.pi * u, v
            pts = torch.stack([(1 - h) * torch.cos(theta), (1 - h) * torch.sin(theta), 2 * h - 1], 1)
        else:  # torus
            a, b = 2 * math.pi * u, 2 * math.pi * v
            pts = torch.stack([(1 + 0.3 * torch.cos(b)) * torch.cos(a),
                               (1 + 0.3 * torch.cos(b)) * torch.sin(a), 0.3 * torch.sin(b)], 1)
        return pts

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed * 100003 + idx)
        label = idx % len(SHAPES)
        pts = self._sample(label, g)
        pts = pts + self.noise * torch.randn(pts.shape, generator=g)
        # random rotation about z
        a = 2 * math.pi * torch.rand(1, generator=g).item()
        rot = torch.tensor([[math.cos(a), -math.sin(a), 0.], [math.sin(a), math.cos(a), 0.],
                            [0., 0., 1.]])
        return (pts @ rot.t()).t().contiguous(), label  # (3, N)


class TNet(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.conv = nn.Sequential(
            nn.Conv1d(k, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(inplace=True),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
        )
        self.fc = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Linear(256, k * k),
        )
        nn.init.zeros_(self.fc[-1].weight)
        nn.init.zeros_(self.fc[-1].bias)

    def forward(self, x):
        x = self.conv(x).max(dim=2).values
        m = self.fc(x).view(-1, self.k, self.k)
        return m + torch.eye(self.k, device=x.device).unsqueeze(0)


class PointNet(nn.Module):
    def __init__(self, num_classes=len(SHAPES), dropout=0.3):
        super().__init__()
        self.input_tnet = TNet(3)
        self.mlp1 = nn.Sequential(nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(True))
        self.feature_tnet = TNet(64)
        self.mlp2 = nn.Sequential(
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(True),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(True),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(True),
            nn.Dropout(dropout),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        x = torch.bmm(self.input_tnet(x), x)
        x = self.mlp1(x)
        t = self.feature_tnet(x)
        x = torch.bmm(t, x)
        x = self.mlp2(x).max(dim=2).values
        return self.head(x), t


class LitPointNet(pl.LightningModule):
    def __init__(self, lr=1e-3, weight_decay=1e-4, reg_weight=1e-3, epochs=50):
        super().__init__()
        self.save_hyperparameters()
        self.net = PointNet()

    def forward(self, x):
        return self.net(x)[0]

    def _shared_step(self, batch):
        points, labels = batch
        logits, trans = self.net(points)
        eye = torch.eye(trans.size(1), device=trans.device)
        reg = torch.mean(torch.norm(trans @ trans.transpose(1, 2) - eye, dim=(1, 2)))
        loss = F.cross_entropy(logits, labels) + self.hparams.reg_weight * reg
        acc = (logits.argmax(1) == labels).float().mean()
        return loss, acc

    def training_step(self, batch, batch_idx):
        loss, acc = self._shared_step(batch)
        self.log_dict({'train/loss': loss, 'train/acc': acc}, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, acc = self._shared_step(batch)
        self.log_dict({'val/loss': loss, 'val/acc': acc}, prog_bar=True, sync_dist=True)

    def test_step(self, batch, batch_idx):
        points, labels = batch
        logits = self(points)
        self.log('test/acc', (logits.argmax(1) == labels).float().mean(), sync_dist=True)

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr,
                               weight_decay=self.hparams.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.hparams.epochs)
        return [opt], [sched]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--num-points', type=int, default=1024)
    parser.add_argument('--train-samples', type=int, default=4000)
    parser.add_argument('--val-samples', type=int, default=500)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--devices', type=int, default=1)
    parser.add_argument('--default-root-dir', default='lightning_logs/pointnet')
    args = parser.parse_args()

    pl.seed_everything(0)
    train_set = SyntheticShapes(args.train_samples, args.num_points, seed=0)
    val_set = SyntheticShapes(args.val_samples, args.num_points, seed=1)
    test_set = SyntheticShapes(args.val_samples, args.num_points, seed=2)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, drop_last=True, persistent_workers=True)
    val_loader = DataLoader(val_set, batch_size=64, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=64, num_workers=args.workers)

    model = LitPointNet(lr=args.lr, epochs=args.epochs)
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator='auto', devices=args.devices,
                         default_root_dir=args.default_root_dir,
                         callbacks=[ModelCheckpoint(monitor='val/acc', mode='max'),
                                    LearningRateMonitor('epoch')])
    trainer.fit(model, train_loader, val_loader)
    trainer.test(model, test_loader, ckpt_path='best')

    # quick qualitative check on a handful of clouds
    model.eval()
    with torch.no_grad():
        points = torch.stack([test_set[i][0] for i in range(len(SHAPES))])
        pred = model(points.to(model.device)).argmax(1).tolist()
    print('predictions:', [SHAPES[p] for p in pred])


if __name__ == '__main__':
    main()
