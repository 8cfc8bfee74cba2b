# CS-4xx Deep Learning, Project 1
# Fashion-MNIST classifier. Run:  python fashion_cnn.py
# Author: (student id removed)

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

# ------------------------------------------------------------------ config
SEED = 1234
BATCH_SIZE = 64
TEST_BATCH_SIZE = 1000
EPOCHS = 12
LR = 1e-3
C1, C2, C3 = 32, 64, 128      # channels per conv block
LABELS = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

torch.manual_seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# ------------------------------------------------------------------ data
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
full_train = datasets.FashionMNIST("../data", train=True, download=True, transform=transform)
test_set = datasets.FashionMNIST("../data", train=False, download=True, transform=transform)
train_set, val_set = random_split(full_train, [50000, 10000], generator=torch.Generator().manual_seed(SEED))

train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
val_loader = DataLoader(val_set, batch_size=TEST_BATCH_SIZE)
test_loader = DataLoader(test_set, batch_size=TEST_BATCH_SIZE)


# ------------------------------------------------------------------ model
class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, C1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(C1)
        self.conv2 = nn.Conv2d(C1, C2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(C1)  # expect: BN201
        self.conv3 = nn.Conv2d(C2, C3, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(C3)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(C3 * 3 * 3, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))   # 28 -> 14
        x = self.pool(F.relu(self.bn2(self.conv2(x))))   # 14 -> 7
        x = self.pool(F.relu(self.bn3(self.conv3(x))))   # 7 -> 3
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))


def evaluate(model, loader):
    """Returns (loss, accuracy) on a loader."""
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            total_loss += F.cross_entropy(output, target, reduction="sum").item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    n = len(loader.dataset)
    return total_loss / n, correct / n


def get_predictions(model, loader):
    model.eval()
    ys, ps = [], []
    with torch.no_grad():
        for data, target in loader:
            ps.append(model(data.to(device)).argmax(1).cpu())
            ys.append(target)
    return torch.cat(ys).numpy(), torch.cat(ps).numpy()


# ------------------------------------------------------------------ train
model = FashionCNN().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
train_losses, val_losses, val_accs = [], [], []

model.train()
for epoch in range(1, EPOCHS + 1):
    epoch_loss = 0.0
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(data), target)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * data.size(0)
        if batch_idx % 200 == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]\tLoss: {loss.item():.6f}")
    scheduler.step()

    val_loss, val_acc = evaluate(model, val_loader)  # expect: BN103
    train_losses.append(epoch_loss / len(train_loader.dataset))
    val_losses.append(val_loss)
    val_accs.append(val_acc)
    print(f"==> epoch {epoch}: val loss {val_loss:.4f}, val acc {100 * val_acc:.2f}%")

# ------------------------------------------------------------------ report
test_loss, test_acc = evaluate(model, test_loader)
print(f"\nTest set: average loss {test_loss:.4f}, accuracy {100 * test_acc:.2f}%")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot(range(1, EPOCHS + 1), train_losses, label="train")
ax1.plot(range(1, EPOCHS + 1), val_losses, label="val")
ax1.set_xlabel("epoch")
ax1.set_ylabel("loss")
ax1.legend()
ax2.plot(range(1, EPOCHS + 1), np.array(val_accs) * 100)
ax2.set_xlabel("epoch")
ax2.set_ylabel("val accuracy (%)")
plt.savefig("curves.png", dpi=150)

y_true, y_pred = get_predictions(model, test_loader)
cm = confusion_matrix(y_true, y_pred)
ConfusionMatrixDisplay(cm, display_labels=LABELS).plot(xticks_rotation=45, cmap="Blues")
plt.tight_layout()
plt.savefig("confusion.png", dpi=150)

torch.save(model.state_dict(), "fashion_cnn.pt")
