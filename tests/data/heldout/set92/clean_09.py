# %% [markdown]
# # Efficient ML - Lab 2 (solution): post-training static quantization
# The fp32 model must be in **eval mode** before conv+bn fusion: fusion folds the
# BN running statistics into the conv weights.

# %%
import os
import time

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare

EPOCHS = 4
BATCH_SIZE = 128
CALIB_BATCHES = 20
WIDTHS = (16, 32, 64)
torch.backends.quantized.engine = "fbgemm"

# %%
tf = T.Compose([T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
train_loader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10("data", train=True, download=True, transform=tf), batch_size=BATCH_SIZE, shuffle=True)
test_loader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10("data", train=False, download=True, transform=tf), batch_size=256)

# %%
class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        )


class QuantCNN(nn.Module):
    def __init__(self, widths=WIDTHS, num_classes=10):
        super().__init__()
        c1, c2, c3 = widths
        self.quant = QuantStub()
        self.layer1 = ConvBNReLU(3, c1)
        self.layer2 = ConvBNReLU(c1, c2, stride=2)
        self.layer3 = ConvBNReLU(c2, c3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c3, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)


FUSE_GROUPS = [[f"layer{i}.0", f"layer{i}.1", f"layer{i}.2"] for i in (1, 2, 3)]

# %%
@torch.no_grad()
def accuracy(model, loader, max_batches=10):
    model.eval()
    correct = n = 0
    for i, (x, y) in enumerate(loader):
        if i == max_batches:
            break
        correct += (model(x).argmax(1) == y).sum().item()
        n += len(y)
    return correct / n


def size_mb(model):
    torch.save(model.state_dict(), "tmp.pt")
    size = os.path.getsize("tmp.pt") / 1e6
    os.remove("tmp.pt")
    return size

# %% train fp32
model = QuantCNN()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(EPOCHS):
    model.train()
    for x, y in train_loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}  acc {accuracy(model, test_loader):.3f}")

fp32_acc, fp32_size = accuracy(model, test_loader), size_mb(model)

# %% fuse (eval mode!), observe, calibrate, convert
model.eval()
fuse_modules(model, FUSE_GROUPS, inplace=True)
model.qconfig = get_default_qconfig("fbgemm")
prepare(model, inplace=True)
with torch.no_grad():
    for i, (x, _) in enumerate(train_loader):
        if i == CALIB_BATCHES:
            break
        model(x)
convert(model, inplace=True)

# %% compare
t0 = time.time()
int8_acc = accuracy(model, test_loader)
print(f"fp32: acc {fp32_acc:.3f} size {fp32_size:.2f} MB")
print(f"int8: acc {int8_acc:.3f} size {size_mb(model):.2f} MB ({time.time() - t0:.2f}s for 10 batches)")
