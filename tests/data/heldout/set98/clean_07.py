# Raman spectra -> concentration regression, first PyTorch version.
# Previously done in R with keras (layer_conv_1d / layer_batch_normalization).
# R habits kept on purpose: 1-based epoch counter, explicit set.seed-style
# seeding, results collected in a "data frame" (list of dicts).
#                                                        -- lab notebook p.212

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(2024)          # set.seed(2024)

n_train = 1025                   # nrow(train_df)
n_test = 200
n_wavenumbers = 512
batch_size = 32
epochs = 60
learning_rate = 1e-3


def simulate_spectra(n):
    """Three Lorentzian bands whose heights depend on concentration + baseline + noise."""
    conc = torch.rand(n, 1)
    nu = torch.linspace(0, 1, n_wavenumbers)
    spectra = torch.zeros(n, 1, n_wavenumbers)
    for center, width, weight in [(0.25, 0.01, 1.0), (0.55, 0.02, 0.6), (0.8, 0.015, 0.3)]:
        band = width ** 2 / ((nu - center) ** 2 + width ** 2)
        spectra[:, 0] += conc * weight * band
    spectra[:, 0] += 0.2 * nu * torch.rand(n, 1)            # sloped baseline
    spectra += 0.01 * torch.randn_like(spectra)
    return spectra, conc


class SpectraCNN(nn.Module):
    def __init__(self):
        super().__init__()
        # layer_conv_1d(filters = 16, kernel_size = 7, use_bias = FALSE) %>% layer_batch_normalization()
        self.features = nn.Sequential(
            nn.Conv1d(1, 16, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 32, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(8),
        )
        self.regressor = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 8, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, x):
        return self.regressor(self.features(x))


x_train, y_train = simulate_spectra(n_train)
x_test, y_test = simulate_spectra(n_test)

train_set = TensorDataset(x_train, y_train)
# 1025 spectra / 32 leaves a final batch of one; drop it (BatchNorm needs > 1 sample)
train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True)
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=1)

model = SpectraCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
history = []

for epoch in range(1, epochs + 1):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    history.append({"epoch": epoch, "mse": total / (len(train_loader) * batch_size)})
    if epoch % 10 == 0:
        print(history[-1])

# predict(model, x_test)
model.eval()
preds = []
with torch.no_grad():
    for xb, _ in test_loader:
        preds.append(model(xb).item())
preds = torch.tensor(preds)
rmse = torch.sqrt(((preds - y_test.squeeze(1)) ** 2).mean())
print(f"RMSE on {n_test} test spectra: {rmse:.4f}")
torch.save(model.state_dict(), "raman_cnn.pt")
