"""
ECG heartbeat classification (MIT-BIH, Kaggle "shayanfazeli/heartbeat").

PyTorch re-implementation of the Keras kernel "ECG CNN 98% acc". The Keras
model was:

    Conv1D(64, 6, activation='relu') -> BatchNormalization() -> MaxPool1D(3, 2)
    Conv1D(64, 3, activation='relu') -> BatchNormalization() -> MaxPool1D(2, 2)
    Conv1D(64, 3, activation='relu') -> BatchNormalization() -> MaxPool1D(2, 2)
    Flatten -> Dense(64) -> Dense(32) -> Dense(5, softmax)

BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001) are the Keras defaults.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import classification_report
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 20
BATCH_SIZE = 32
LR = 1e-3
SIGNAL_LEN = 187
N_CLASSES = 5
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

train_df = pd.read_csv("../input/heartbeat/mitbih_train.csv", header=None)
test_df = pd.read_csv("../input/heartbeat/mitbih_test.csv", header=None)

X_train = torch.tensor(train_df.iloc[:, :SIGNAL_LEN].values, dtype=torch.float32).unsqueeze(1)
y_train = torch.tensor(train_df.iloc[:, SIGNAL_LEN].values, dtype=torch.long)
X_test = torch.tensor(test_df.iloc[:, :SIGNAL_LEN].values, dtype=torch.float32).unsqueeze(1)
y_test = torch.tensor(test_df.iloc[:, SIGNAL_LEN].values, dtype=torch.long)

train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=256)


class ECGNet(nn.Module):
    def __init__(self):
        super().__init__()
        # keras: Conv1D(64, 6) + BatchNormalization(epsilon=0.001, momentum=0.99)
        self.conv1 = nn.Conv1d(1, 64, kernel_size=6, bias=False)
        self.bn1 = nn.BatchNorm1d(64, 0.001, 0.99)  # expect: BN205
        self.pool1 = nn.MaxPool1d(3, stride=2, padding=1)

        self.conv2 = nn.Conv1d(64, 64, kernel_size=3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)  # expect: BN202
        self.pool2 = nn.MaxPool1d(2, stride=2)

        self.conv3 = nn.Conv1d(64, 64, kernel_size=3, bias=False)
        self.bn3 = nn.BatchNorm1d(64)
        self.pool3 = nn.MaxPool1d(2, stride=2)

        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * 21, 64)
        self.fc2 = nn.Linear(64, 32)
        self.out = nn.Linear(32, N_CLASSES)

    def forward(self, x):
        x = self.pool1(self.bn1(F.relu(self.conv1(x))))
        x = self.pool2(self.bn2(F.relu(self.conv2(x))))
        x = self.pool3(self.bn3(F.relu(self.conv3(x))))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)          # softmax is inside CrossEntropyLoss


model = ECGNet().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
# keras: ReduceLROnPlateau(monitor='loss', factor=0.5, patience=2)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=2)

for epoch in range(EPOCHS):
    model.train()
    tot, correct, n = 0.0, 0, 0
    for xb, yb in train_loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        tot += loss.item() * len(xb)
        correct += (logits.argmax(1) == yb).sum().item()
        n += len(xb)
    plateau.step(tot / n)
    print(f"Epoch {epoch + 1}/{EPOCHS} loss: {tot / n:.4f} acc: {correct / n:.4f}")

# save a TorchScript version for the streaming demo before evaluating
example = torch.randn(8, 1, SIGNAL_LEN, device=device)
traced = torch.jit.trace(model, example)  # expect: BN104
traced.save("ecg_cnn.pt")

model.eval()
preds, targets = [], []
with torch.no_grad():
    for xb, yb in test_loader:
        preds.append(model(xb.to(device)).argmax(1).cpu())
        targets.append(yb)
preds = torch.cat(preds).numpy()
targets = torch.cat(targets).numpy()
print(classification_report(targets, preds, digits=4))
print("test accuracy:", np.mean(preds == targets))
