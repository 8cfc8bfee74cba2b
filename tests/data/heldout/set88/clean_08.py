# Keras -> PyTorch port of the Fashion-MNIST model (fixed).
#
# PyTorch's BatchNorm momentum is the weight of the new batch, i.e.
# 1 - keras_momentum, and its second positional argument is eps, not momentum.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# same hyper-parameters as in the Keras version
BN_MOMENTUM = 0.01  # = 1 - 0.99 (Keras momentum)
BN_EPS = 1e-3
BATCH_SIZE = 128


class ConvBlock(nn.Module):
    """Conv2D(padding='same', use_bias=False) -> BatchNormalization -> ReLU"""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class KerasPort(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.blocks = nn.Sequential(
            ConvBlock(1, 32),
            nn.MaxPool2d(2),
            ConvBlock(32, 64),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()
        self.dense = nn.Linear(64 * 7 * 7, 128, bias=False)
        self.bn_dense = nn.BatchNorm1d(128, momentum=0.1)
        self.out = nn.Linear(128, n_classes)

    def forward(self, x):
        x = self.flatten(self.blocks(x))
        x = torch.relu(self.bn_dense(self.dense(x)))
        return self.out(x)


tf = transforms.ToTensor()
train_dl = DataLoader(datasets.FashionMNIST("data", train=True, download=True, transform=tf),
                      batch_size=BATCH_SIZE, shuffle=True)
test_dl = DataLoader(datasets.FashionMNIST("data", train=False, download=True, transform=tf),
                     batch_size=512)

model = KerasPort()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(10):
    model.train()
    for x, y in train_dl:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.eval()
    hits = 0
    with torch.no_grad():
        for x, y in test_dl:
            hits += (model(x).argmax(1) == y).sum().item()
    print(f"epoch {epoch}: test acc {hits / len(test_dl.dataset):.4f}")
