# ECG heartbeat classification (MIT-BIH style) with a 1D CNN
# Kaggle kernel, exported. Each beat is 187 samples, 5 classes (N, S, V, F, Q).
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import classification_report, f1_score
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(7)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

N_TRAIN = 8193
N_TEST = 2048
SIG_LEN = 187
N_CLASSES = 5

# synthetic beats shaped like the csv rows (the real csv is 87k x 188)
t = torch.linspace(0, 1, SIG_LEN)
X_train = 0.3 * torch.randn(N_TRAIN, 1, SIG_LEN)
y_train = torch.randint(0, N_CLASSES, (N_TRAIN,))
X_test = 0.3 * torch.randn(N_TEST, 1, SIG_LEN)
y_test = torch.randint(0, N_CLASSES, (N_TEST,))
X_train += torch.sin(2 * np.pi * (y_train[:, None, None] + 1) * t)
X_test += torch.sin(2 * np.pi * (y_test[:, None, None] + 1) * t)

train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)  # expect: BN302
test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=256, shuffle=False)


class ECGNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 32, kernel_size=5, padding=2)  # expect: BN204
        self.bn1 = nn.BatchNorm1d(32)
        self.conv2 = nn.Conv1d(32, 64, kernel_size=5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(32)  # expect: BN201
        self.conv3 = nn.Conv1d(64, 128, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm1d(128)
        self.pool = nn.MaxPool1d(2)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = F.relu(self.bn3(self.conv3(x)))
        x = self.gap(x).squeeze(-1)
        return self.fc(self.dropout(x))


model = ECGNet().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
class_counts = torch.bincount(y_train, minlength=N_CLASSES).float()
criterion = nn.CrossEntropyLoss(weight=(class_counts.sum() / class_counts).to(device))


def train(model, loader):
    model.train()
    epoch_loss = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * xb.size(0)
    return epoch_loss / len(loader.dataset)


def test(model, loader):
    model.eval()
    all_preds, all_true = [], []
    with torch.no_grad():
        for xb, yb in loader:
            out = model(xb.to(device))
            all_preds.append(out.argmax(1).cpu())
            all_true.append(yb)
    return torch.cat(all_true).numpy(), torch.cat(all_preds).numpy()


for epoch in range(20):
    loss = train(model, train_loader)
    y_true, y_pred = test(model, test_loader)
    print(f"epoch {epoch:2d} loss {loss:.4f} macro-F1 {f1_score(y_true, y_pred, average='macro'):.4f}")

y_true, y_pred = test(model, test_loader)
print(classification_report(y_true, y_pred, target_names=["N", "S", "V", "F", "Q"]))
torch.save(model.state_dict(), "ecg_cnn.pt")
