# Kannada MNIST -- "conv -> relu -> BN" CNN, 5-fold, then one round of pseudo-labelling
# (fold ensemble labels the test set, confident test digits are added to training).
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import ConcatDataset, DataLoader, TensorDataset

N_FOLDS = 5
EPOCHS = 25
BS = 128
PSEUDO_THR = 0.995
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed=2019):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class KannadaNet(nn.Module):
    def __init__(self):
        super().__init__()
        # input whitening: plain standardisation, no learnable affine
        self.in_conv = nn.Conv2d(1, 32, 3, padding=1)
        self.in_norm = nn.BatchNorm2d(32, affine=False)
        # conv -> activation -> BN ordering: the bias goes through the ReLU first
        self.block1 = nn.Sequential(
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.1),
            nn.Conv2d(128, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.1),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 256), nn.ReLU(), nn.BatchNorm1d(256),
            nn.Dropout(0.4),
            nn.BatchNorm1d(256),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        x = self.in_norm(self.in_conv(x))
        x = self.block2(self.block1(x))
        return self.head(x)


def augment(x):
    shift = np.random.randint(-2, 3, size=2)
    return torch.roll(x, shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))


def train_fn(model, loader, optimizer, scheduler):
    model.train()
    for x, y in loader:
        x, y = augment(x.to(DEVICE)), y.to(DEVICE)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()


@torch.no_grad()
def predict_proba(model, loader):
    model.eval()
    return torch.cat([F.softmax(model(x.to(DEVICE)), 1).cpu() for (x, *_) in loader]).numpy()


def fit_folds(train_ds, labels, test_loader, tag):
    skf = StratifiedKFold(N_FOLDS, shuffle=True, random_state=42)
    test_probs = 0
    oof = np.zeros((len(labels), 10))
    for fold, (tr, va) in enumerate(skf.split(np.zeros(len(labels)), labels)):
        tr_dl = DataLoader(torch.utils.data.Subset(train_ds, tr), batch_size=BS, shuffle=True, drop_last=True)
        va_dl = DataLoader(torch.utils.data.Subset(train_ds, va), batch_size=BS * 4)
        model = KannadaNet().to(DEVICE)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=8, gamma=0.3)
        for epoch in range(EPOCHS):
            train_fn(model, tr_dl, optimizer, scheduler)
        oof[va] = predict_proba(model, va_dl)
        test_probs = test_probs + predict_proba(model, test_loader) / N_FOLDS
        torch.save(model.state_dict(), f"kannada_{tag}_fold{fold}.pth")
        print(f"[{tag}] fold {fold} acc {(oof[va].argmax(1) == labels[va]).mean():.5f}")
    return oof, test_probs


def main():
    seed_everything()
    train = pd.read_csv("../input/Kannada-MNIST/train.csv")
    test = pd.read_csv("../input/Kannada-MNIST/test.csv")
    x = torch.tensor(train.drop(columns="label").values, dtype=torch.float32).view(-1, 1, 28, 28) / 255.0
    y = torch.tensor(train.label.values)
    xt = torch.tensor(test.drop(columns="id").values, dtype=torch.float32).view(-1, 1, 28, 28) / 255.0
    train_ds = TensorDataset(x, y)
    test_loader = DataLoader(TensorDataset(xt), batch_size=BS * 4)

    _, test_probs = fit_folds(train_ds, y.numpy(), test_loader, "r1")

    keep = test_probs.max(1) > PSEUDO_THR
    pseudo_ds = TensorDataset(xt[keep], torch.tensor(test_probs[keep].argmax(1)))
    full_ds = ConcatDataset([train_ds, pseudo_ds])
    full_labels = np.concatenate([y.numpy(), test_probs[keep].argmax(1)])
    print(f"round 2 with {keep.sum()} pseudo-labelled digits")
    _, test_probs2 = fit_folds(full_ds, full_labels, test_loader, "r2")

    pd.DataFrame({"id": test.id, "label": test_probs2.argmax(1)}).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
