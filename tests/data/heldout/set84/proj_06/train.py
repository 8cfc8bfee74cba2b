"""Train GradeNet on synthetic BraTS-sized volumes (pipeline smoke test)."""
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import configs as C
from datasets import normalise, paint_blobs, random_flip
from models import GradeNet
from utils import build_optimizer, seed_everything

S = C.VOLUME_SIZE


def main():
    seed_everything(C.SEED)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_x = 0.1 * torch.randn(C.NUM_TRAIN, C.IN_CHANNELS, S, S, S)
    train_y = torch.randint(0, C.NUM_CLASSES, (C.NUM_TRAIN,))
    train_x = normalise(paint_blobs(train_x, train_y, seed=1))
    val_x = 0.1 * torch.randn(C.NUM_VAL, C.IN_CHANNELS, S, S, S)
    val_y = torch.randint(0, C.NUM_CLASSES, (C.NUM_VAL,))
    val_x = normalise(paint_blobs(val_x, val_y, seed=2))

    train_set = TensorDataset(train_x, train_y)
    train_loader = DataLoader(train_set, batch_size=C.BATCH_SIZE, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size=C.BATCH_SIZE)

    model = GradeNet(C.IN_CHANNELS, C.NUM_CLASSES).to(device)
    optimizer = build_optimizer(model, C.LR, C.WEIGHT_DECAY)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=C.EPOCHS)

    best = 0.0
    for epoch in range(C.EPOCHS):
        model.train()
        tot = 0.0
        for x, y in train_loader:
            x, y = random_flip(x).to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tot += loss.item() * x.size(0)
        scheduler.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        model.train()
        acc = correct / C.NUM_VAL
        print(f"epoch {epoch:02d} train loss {tot / C.NUM_TRAIN:.4f} val acc {acc:.3f}")
        if acc > best:
            best = acc
            os.makedirs(os.path.dirname(C.CKPT), exist_ok=True)
            torch.save(model.state_dict(), C.CKPT)


if __name__ == "__main__":
    main()
