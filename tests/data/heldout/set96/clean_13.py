"""Three-phase training on fixed-size tensor sets; per-image test at the end."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_BASE = 1000        # 1000 % 8  == 0
N_FINETUNE = 1026    # 1026 % 16 == 2
N_PSEUDO = 993       # 993 % 16  == 1 -> needs drop_last
FINETUNE_BS = 16
DROP_LAST = True


class PatchNet(nn.Module):
    def __init__(self, n_out=3):
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


def tensor_set(n, prefix):
    x = torch.empty(n, 3, 64, 64)
    y = torch.empty(n, dtype=torch.long)
    for i in range(n):
        item = torch.load(f"{prefix}/{i:05d}.pt")
        x[i], y[i] = item["image"], item["label"]
    return TensorDataset(x, y)


def make_train_loader(dataset, batch_size, drop_last):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=drop_last)


def train(model, loader, epochs, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()


@torch.no_grad()
def per_image_test(model, dataset):
    model.eval()
    loader = DataLoader(dataset, batch_size=1, shuffle=False)
    return [model(x).softmax(1)[0, y.item()].item() for x, y in loader]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    model = PatchNet()
    base = tensor_set(N_BASE, "data/base")
    base_loader = DataLoader(base, batch_size=args.batch_size, shuffle=True)
    train(model, base_loader, args.epochs, lr=1e-3)

    ft = tensor_set(N_FINETUNE, "data/finetune")
    ft_loader = DataLoader(ft, batch_size=FINETUNE_BS, shuffle=True)
    train(model, ft_loader, args.epochs, lr=3e-4)

    pseudo = tensor_set(N_PSEUDO, "data/pseudo")
    pseudo_loader = DataLoader(pseudo, batch_size=FINETUNE_BS, shuffle=True, drop_last=DROP_LAST)
    train(model, pseudo_loader, 2, lr=1e-4)
    pseudo_again = make_train_loader(pseudo, FINETUNE_BS, drop_last=True)
    train(model, pseudo_again, 1, lr=5e-5)

    scores = per_image_test(model, tensor_set(200, "data/test"))
    print(f"mean true-class prob: {sum(scores) / len(scores):.4f}")


if __name__ == "__main__":
    main()
