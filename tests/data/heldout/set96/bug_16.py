"""Two-stage training: self-supervised rotation pretext on unlabeled crops,
then supervised fine-tuning on the 993 labelled patches.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets, transforms

N_LABELLED = 993
FINETUNE_BS = 16
DROP_LAST = False


class PatchNet(nn.Module):
    def __init__(self, n_out):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(64, n_out)

    def forward(self, x):
        return self.head(self.body(x))


def load_patch(i):
    item = torch.load(f"data/labelled/{i:04d}.pt")
    return item["image"], item["label"]


def rotate_batch(x):
    k = torch.randint(0, 4, (x.size(0),))
    rotated = torch.stack([torch.rot90(img, int(r), dims=(1, 2)) for img, r in zip(x, k)])
    return rotated, k


def train(model, loader, epochs, lr, pretext=False):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        model.train()
        for batch in loader:
            x, y = batch[0], batch[1]
            if pretext:
                x, y = rotate_batch(x)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unlabeled", default="data/unlabeled")
    parser.add_argument("--pretext-batch-size", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    tf = transforms.Compose([transforms.RandomCrop(64), transforms.ToTensor()])
    unlabeled = datasets.ImageFolder(args.unlabeled, transform=tf)
    pretext_loader = DataLoader(unlabeled, batch_size=args.pretext_batch_size, shuffle=True, num_workers=4)  # expect: BN301

    model = PatchNet(n_out=4)
    train(model, pretext_loader, args.epochs, lr=1e-3, pretext=True)

    x = torch.empty(N_LABELLED, 3, 64, 64)
    y = torch.empty(N_LABELLED, dtype=torch.long)
    for i in range(N_LABELLED):
        x[i], y[i] = load_patch(i)
    labelled = TensorDataset(x, y)
    finetune_loader = DataLoader(labelled, batch_size=FINETUNE_BS, shuffle=True, drop_last=DROP_LAST)  # expect: BN302

    model.head = nn.Linear(64, 3)
    train(model, finetune_loader, args.epochs, lr=1e-4)
    torch.save(model.state_dict(), "patchnet.pt")


if __name__ == "__main__":
    main()
