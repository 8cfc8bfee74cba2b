# %% [markdown]
# # Efficient ML - Lab 2: post-training static quantization
#
# Steps (from the handout):
# 1. train a small CNN on CIFAR-10 for a few epochs
# 2. fuse conv + bn + relu
# 3. insert observers, calibrate on ~20 batches
# 4. convert to int8 and compare accuracy / size / latency

# %%
import os
import time

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import DeQuantStub, QuantStub

EPOCHS = 4
BATCH_SIZE = 128
CALIB_BATCHES = 20
torch.backends.quantized.engine = "fbgemm"

# %%
tf = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=tf)
test_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=tf)
train_loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=256)

# %%
class QuantCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)  # expect: BN201
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.avg = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(torch.flatten(self.avg(x), 1))
        return self.dequant(x)

# %%
def evaluate(model, loader, max_batches=None):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            correct += (model(x).argmax(1) == y).sum().item()
            n += len(y)
    return correct / n


def calibrate(model, loader, n_batches):
    model.eval()
    with torch.no_grad():
        for i, (x, _) in enumerate(loader):
            if i >= n_batches:
                break
            model(x)


def size_mb(model):
    torch.save(model.state_dict(), "tmp.pt")
    s = os.path.getsize("tmp.pt") / 1e6
    os.remove("tmp.pt")
    return s

# %% step 1: train (CPU is fine, it is a tiny net)
model = QuantCNN()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
model.train()
for epoch in range(EPOCHS):
    for x, y in train_loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")

# %% step 2: fuse
fused = torch.ao.quantization.fuse_modules(  # expect: BN104
    model, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]]
)
fused.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")

# %% step 3: observers + calibration
fused.eval()  # handout: PTQ observers must be inserted in eval mode
torch.ao.quantization.prepare(fused, inplace=True)
calibrate(fused, train_loader, CALIB_BATCHES)

# %% step 4: convert + compare
quantized = torch.ao.quantization.convert(fused)

for name, m in [("fp32", model), ("int8", quantized)]:
    t0 = time.time()
    acc = evaluate(m, test_loader, max_batches=10)
    print(f"{name}: acc {acc:.3f}  size {size_mb(m):.2f} MB  time {time.time() - t0:.2f}s")
