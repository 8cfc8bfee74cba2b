# ESC-50 sound classification on log-mel spectrograms
#
#   ValueError: expected 2D or 3D input (got 4D input)
#
# raised from the first BatchNorm. My input is (batch, 1, n_mels, frames),
# which works with the Conv2d. Do I need to squeeze something?
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from esc50 import ESC50Spectrograms  # returns (1, 64, 431) tensors + label

N_MELS = 64
N_CLASSES = 50


class SpecCNN(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm1d(16)  # expect: BN202
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = self.pool(F.relu(self.bn3(self.conv3(x))))
        x = self.gap(x).flatten(1)
        return self.fc(self.drop(x))


def train(folds=(1, 2, 3, 4), epochs=40):
    ds = ESC50Spectrograms("ESC-50/audio", folds=folds, n_mels=N_MELS)
    dl = DataLoader(ds, batch_size=32, shuffle=True, num_workers=4, drop_last=True)
    model = SpecCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for ep in range(epochs):
        model.train()
        for spec, label in dl:
            logits = model(spec)
            loss = F.cross_entropy(logits, label)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"ep {ep} loss {loss.item():.3f}")
    return model


if __name__ == "__main__":
    net = train()
    torch.save(net.state_dict(), "spec_cnn.pt")
