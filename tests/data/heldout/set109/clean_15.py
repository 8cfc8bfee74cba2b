# Follow-up to "Expected more than 1 value per channel": drop_last=True fixed the
# crash, but val loss is reported as nan for the last (single-sample) val batch?
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

NUM_TRAIN = 1025  # 1025 % 64 == 1 -> needs drop_last for training
NUM_AUX = 130     # 130 % 32 == 2
NUM_VAL = 257     # 257 % 64 == 1, only used in eval mode
BATCH = 64

torch.manual_seed(0)


def split(n):
    x = torch.randn(n, 24)
    return TensorDataset(x, (x[:, :3].sum(1) > 0).long())


model = nn.Sequential(
    nn.Linear(24, 48, bias=False),
    nn.BatchNorm1d(48),
    nn.ReLU(),
    nn.Linear(48, 2),
)
train_loader = DataLoader(split(NUM_TRAIN), batch_size=BATCH, shuffle=True, drop_last=True)
aux_loader = DataLoader(split(NUM_AUX), batch_size=32, shuffle=True)
val_loader = DataLoader(split(NUM_VAL), batch_size=BATCH)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def run_epoch(loader):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


for epoch in range(4):
    train_loss = run_epoch(train_loader)
    aux_loss = run_epoch(aux_loader)
    model.eval()
    with torch.no_grad():
        losses = [F.cross_entropy(model(x), y, reduction="sum").item() for x, y in val_loader]
    print(f"epoch {epoch} train {train_loss:.3f} aux {aux_loss:.3f} val {sum(losses) / NUM_VAL:.3f}")
