# Ported from our old Keras notebook (audio event tagging, log-mel 64 x 128).
# Keras: Conv2D -> BatchNormalization(momentum=0.99) -> ReLU -> MaxPool
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 60
BATCH_SIZE = 64
N_CLASSES = 50


class KerasStyleCNN(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=0.99, eps=1e-3)  # expect: BN205
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128, eps=1e-3)
        self.conv3 = nn.Conv2d(128, 256, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(256, eps=1e-3)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(256, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        x = x.mean(dim=(2, 3))
        return self.fc(self.dropout(x))


def evaluate(model, loader, device):
    model.eval()
    preds, targets = [], []
    with torch.no_grad():
        for x, y in loader:
            preds.append(model(x.to(device)).argmax(1).cpu())
            targets.append(y)
    preds, targets = torch.cat(preds), torch.cat(targets)
    return (preds == targets).float().mean().item()


def load_fold(path):
    d = np.load(path)
    return TensorDataset(torch.tensor(d["logmel"], dtype=torch.float32).unsqueeze(1),
                         torch.tensor(d["label"], dtype=torch.long))


if __name__ == "__main__":
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(load_fold("esc50_train.npz"), batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(load_fold("esc50_val.npz"), batch_size=BATCH_SIZE)

    model = KerasStyleCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    history = {"loss": [], "val_acc": []}

    model.train()
    for epoch in range(EPOCHS):
        epoch_loss = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        scheduler.step()

        val_acc = evaluate(model, val_loader, device)  # expect: BN103
        history["loss"].append(epoch_loss / len(train_loader))
        history["val_acc"].append(val_acc)
        print(f"epoch {epoch + 1}/{EPOCHS} - loss: {history['loss'][-1]:.4f} - val_acc: {val_acc:.4f}")

    torch.save(model.state_dict(), "kerasport_cnn.pt")
