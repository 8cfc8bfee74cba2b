"""K-fold cross-validation on a spectra regression task, test-set ensemble over folds.

Each fold builds a brand-new network, so switching it to inference mode at the
end of the fold needs no reset: the next fold starts from a fresh module.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, TensorDataset

N_SPLITS = 5
EPOCHS = 80


class SpectraNet(nn.Module):
    def __init__(self, n_bins, n_targets):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(1, 16, 7, padding=3, bias=False),
            nn.BatchNorm1d(16),
            nn.GELU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 5, padding=2, bias=False),
            nn.BatchNorm1d(32),
            nn.GELU(),
            nn.AdaptiveAvgPool1d(8),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 8, 64, bias=False),
                                  nn.BatchNorm1d(64), nn.GELU(), nn.Linear(64, n_targets))

    def forward(self, x):
        return self.head(self.conv(x.unsqueeze(1)))


def predict(model, x, batch_size=1024):
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            out.append(model(x[start:start + batch_size]))
    return torch.cat(out)


def main():
    data = np.load("spectra.npz")
    X = torch.from_numpy(data["x_train"].astype(np.float32))
    Y = torch.from_numpy(data["y_train"].astype(np.float32))
    X_test = torch.from_numpy(data["x_test"].astype(np.float32))

    kf = KFold(n_splits=N_SPLITS, shuffle=True, random_state=0)
    oof = torch.zeros_like(Y)
    test_pred = torch.zeros(len(X_test), Y.shape[1])

    for fold, (tr, va) in enumerate(kf.split(X)):
        tr, va = torch.as_tensor(tr), torch.as_tensor(va)
        loader = DataLoader(TensorDataset(X[tr], Y[tr]), batch_size=64, shuffle=True, drop_last=True)
        model = SpectraNet(X.shape[1], Y.shape[1])  # fresh module: training mode
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
        for epoch in range(EPOCHS):
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = F.smooth_l1_loss(model(xb), yb)
                loss.backward()
                optimizer.step()
            scheduler.step()

        model.train(False)
        oof[va] = predict(model, X[va])
        test_pred += predict(model, X_test) / N_SPLITS
        rmse = torch.sqrt(F.mse_loss(oof[va], Y[va])).item()
        print(f"fold {fold}: rmse {rmse:.4f}")
        torch.save(model.state_dict(), f"spectranet_fold{fold}.pt")

    print(f"CV rmse {torch.sqrt(F.mse_loss(oof, Y)).item():.4f}")
    np.save("test_pred.npy", test_pred.numpy())


if __name__ == "__main__":
    main()
