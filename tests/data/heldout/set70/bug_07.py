"""Keras -> PyTorch port trains much worse (val acc 0.62 vs 0.88 in Keras)

Straight port of my Keras CIFAR model. Same optimizer (Adam 1e-3), same
augmentation, same epochs, same init as far as I can tell. Training loss looks
fine, but validation accuracy is far lower than in Keras and the val loss jumps
around from epoch to epoch. What did I miss in the translation?

Keras original:
    x = Conv2D(32, 3, padding="same", use_bias=False)(inp)
    x = BatchNormalization(momentum=0.99, epsilon=1e-3)(x)
    x = Activation("relu")(x); x = MaxPooling2D()(x)
    ... (64 and 128 filters, same pattern)
    x = Flatten()(x); x = Dense(128, use_bias=False)(x)
    x = BatchNormalization(momentum=0.99)(x); x = Activation("relu")(x)
    x = Dropout(0.4)(x); out = Dense(10, activation="softmax")(x)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class KerasPortCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32, momentum=0.99, eps=1e-3)  # expect: BN205
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64, momentum=0.99, eps=1e-3)  # expect: BN205
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128, momentum=0.99, eps=1e-3)  # expect: BN205
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(128 * 4 * 4, 128, bias=False)
        self.bn4 = nn.BatchNorm1d(128, 0.99)  # expect: BN206
        self.dropout = nn.Dropout(0.4)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = self.pool(F.relu(self.bn3(self.conv3(x))))
        x = torch.flatten(x, 1)
        x = F.relu(self.bn4(self.fc1(x)))
        return self.fc2(self.dropout(x))


def fit(model, train_loader, val_loader, epochs, device):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        seen, correct, total_loss = 0, 0, 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss = F.cross_entropy(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * x.size(0)
            correct += (out.argmax(1) == y).sum().item()
            seen += x.size(0)

        model.eval()
        val_correct, val_loss = 0, 0.0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                out = model(x)
                val_loss += F.cross_entropy(out, y, reduction="sum").item()
                val_correct += (out.argmax(1) == y).sum().item()
        n_val = len(val_loader.dataset)
        print(f"Epoch {epoch + 1}/{epochs} - loss: {total_loss / seen:.4f} - "
              f"accuracy: {correct / seen:.4f} - val_loss: {val_loss / n_val:.4f} - "
              f"val_accuracy: {val_correct / n_val:.4f}")


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf_train = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    tf_val = transforms.ToTensor()
    train_ds = datasets.CIFAR10("data", train=True, download=True, transform=tf_train)
    val_ds = datasets.CIFAR10("data", train=False, download=True, transform=tf_val)
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=4)
    fit(KerasPortCNN().to(device), train_loader, val_loader, epochs=50, device=device)
