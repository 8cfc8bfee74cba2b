"""Next-day peak electricity demand per substation from weather, calendar and
lagged-load features. Synthetic benchmark used to size the production model."""
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_FEATURES = 48
N_TRAIN = 1601
N_VAL = 257

CONFIG = {
    "hidden": [256, 128, 64],
    "dropout": 0.1,
    "lr": 2e-3,
    "epochs": 60,
    "batch_size": 32,
    "val_batch_size": 128,
    "drop_last_train": True,
    "seed": 13,
}


def make_mlp(in_dim, hidden, dropout):
    layers, prev = [], in_dim
    for width in hidden:
        layers += [nn.Linear(prev, width, bias=False), nn.BatchNorm1d(width), nn.GELU(), nn.Dropout(dropout)]
        prev = width
    layers.append(nn.Linear(prev, 1))
    return nn.Sequential(*layers)


def synthetic_targets(x, w, g):
    seasonal = torch.sin(x[:, 0] * math.pi) * 3.0
    return (x @ w).squeeze(-1) + seasonal + 0.3 * torch.randn(x.shape[0], generator=g)


def mape(pred, target):
    return (torch.abs(pred - target) / target.abs().clamp_min(1.0)).mean().item() * 100


def main():
    cfg = CONFIG
    g = torch.Generator().manual_seed(cfg["seed"])
    true_w = torch.randn(N_FEATURES, 1, generator=g) * 0.5
    x_train = torch.randn(N_TRAIN, N_FEATURES, generator=g)
    x_val = torch.randn(N_VAL, N_FEATURES, generator=g)
    y_train = synthetic_targets(x_train, true_w, g)
    y_val = synthetic_targets(x_val, true_w, g)

    mu, sd = x_train.mean(0, keepdim=True), x_train.std(0, keepdim=True)
    train_ds = TensorDataset((x_train - mu) / sd, y_train)
    val_ds = TensorDataset((x_val - mu) / sd, y_val)

    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True,
                              drop_last=cfg["drop_last_train"])
    val_loader = DataLoader(val_ds, batch_size=cfg["val_batch_size"], shuffle=False)

    model = make_mlp(N_FEATURES, cfg["hidden"], cfg["dropout"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg["lr"],
                                                    epochs=cfg["epochs"], steps_per_epoch=len(train_loader))
    loss_fn = nn.HuberLoss(delta=1.0)

    for epoch in range(cfg["epochs"]):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb).squeeze(-1), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

        model.eval()
        with torch.no_grad():
            preds = torch.cat([model(xb).squeeze(-1) for xb, _ in val_loader])
        if epoch % 10 == 0 or epoch == cfg["epochs"] - 1:
            print(f"epoch {epoch:3d}  val MAPE {mape(preds, y_val):.2f}%")

    torch.save({"model": model.state_dict(), "mu": mu, "sd": sd}, "peak_demand_mlp.pt")


if __name__ == "__main__":
    main()
