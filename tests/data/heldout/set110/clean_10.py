# %% [markdown]
# # ECG heartbeat classification (MIT-BIH, Kaggle CSV)
#
# 1. 1-D CNN on the raw beats (BatchNorm1d on (N, C, L))
# 2. A 2-D CNN on STFT spectrograms of the same beats (BatchNorm2d)
# 3. A 1-D conv autoencoder for anomaly scores (ConvTranspose1d + BatchNorm1d)

# %%
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader
from sklearn.metrics import f1_score

# %matplotlib inline
import matplotlib.pyplot as plt

DEV = "cuda" if torch.cuda.is_available() else "cpu"

# %%
train_df = pd.read_csv("/kaggle/input/heartbeat/mitbih_train.csv", header=None)
test_df = pd.read_csv("/kaggle/input/heartbeat/mitbih_test.csv", header=None)
X_tr = torch.tensor(train_df.iloc[:, :187].values, dtype=torch.float32).unsqueeze(1)   # (N, 1, 187)
y_tr = torch.tensor(train_df.iloc[:, 187].values, dtype=torch.long)
X_te = torch.tensor(test_df.iloc[:, :187].values, dtype=torch.float32).unsqueeze(1)
y_te = torch.tensor(test_df.iloc[:, 187].values, dtype=torch.long)

train_dl = DataLoader(TensorDataset(X_tr, y_tr), batch_size=256, shuffle=True)
test_dl = DataLoader(TensorDataset(X_te, y_te), batch_size=1024)


# %%
class ECGNet1D(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 32, 7, padding=3, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 64, 5, padding=2, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 3, padding=1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        )
        self.fc = nn.Sequential(nn.Linear(128, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x):
        x = self.features(x)              # (N, 128, L)
        x = x.mean(dim=2)                 # (N, 128)
        return self.fc(x)


# %%
def fit(model, dl, epochs, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for ep in range(epochs):
        model.train()
        for xb, yb in dl:
            xb, yb = xb.to(DEV), yb.to(DEV)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {ep}: {loss.item():.4f}")
    model.eval()
    return model


def macro_f1(model, dl):
    model.eval()
    preds = []
    with torch.no_grad():
        for xb, _ in dl:
            preds.append(model(xb.to(DEV)).argmax(1).cpu())
    return f1_score(y_te.numpy(), torch.cat(preds).numpy(), average="macro")


net1d = fit(ECGNet1D().to(DEV), train_dl, epochs=10)
print("1D macro F1:", macro_f1(net1d, test_dl))

# %% [markdown]
# ## 2-D CNN on spectrograms

# %%
def spectrogram(x):
    # x: (N, 1, 187) -> (N, 1, F, T)
    s = torch.stft(x.squeeze(1), n_fft=32, hop_length=4, window=torch.hann_window(32, device=x.device), return_complex=True)
    return s.abs().log1p().unsqueeze(1)


class SpecNet(nn.Module):
    def __init__(self, n_classes=5, c=32):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),
        )
        self.freq_bn = nn.BatchNorm1d(2 * c)
        self.head = nn.Linear(2 * c, n_classes)

    def forward(self, x):
        z = self.conv(spectrogram(x))                  # (N, 2c, F', T')
        z = z.view(z.size(0), z.size(1), -1)           # (N, 2c, F'*T')
        z = F.relu(self.freq_bn(z)).amax(dim=2)        # (N, 2c)
        return self.head(z)


spec_net = fit(SpecNet().to(DEV), train_dl, epochs=8)
print("2D macro F1:", macro_f1(spec_net, test_dl))

# %% [markdown]
# ## Autoencoder on normal beats only (class 0)

# %%
class ConvAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv1d(1, 16, 4, stride=2, padding=1, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
            nn.Conv1d(16, 32, 4, stride=2, padding=1, bias=False), nn.BatchNorm1d(32), nn.ReLU(),
        )
        self.dec = nn.Sequential(
            nn.ConvTranspose1d(32, 16, 4, stride=2, padding=1, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
            nn.ConvTranspose1d(16, 1, 4, stride=2, padding=1),
        )

    def forward(self, x):
        x = F.pad(x, (0, 1))                     # 187 -> 188, divisible by 4
        return self.dec(self.enc(x))[..., :187]


normal = X_tr[y_tr == 0]
ae_dl = DataLoader(TensorDataset(normal), batch_size=256, shuffle=True, drop_last=True)
ae = ConvAE().to(DEV)
ae_opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
for ep in range(5):
    ae.train()
    for (xb,) in ae_dl:
        xb = xb.to(DEV)
        loss = F.mse_loss(ae(xb), xb)
        ae_opt.zero_grad()
        loss.backward()
        ae_opt.step()
    print(f"AE epoch {ep}: {loss.item():.5f}")

# %%
ae.eval()
with torch.no_grad():
    err = ((ae(X_te.to(DEV)) - X_te.to(DEV)) ** 2).mean(dim=(1, 2)).cpu()
plt.hist(err[y_te == 0].numpy(), bins=100, alpha=0.5, label="normal")
plt.hist(err[y_te != 0].numpy(), bins=100, alpha=0.5, label="abnormal")
plt.legend()
plt.show()
