# %% [markdown]
# # Post-training static quantization of a small CNN (FashionMNIST)
#
# Course "ML on the edge", lab 2.
# Train float model -> eval mode -> fuse conv+bn+relu -> calibrate -> convert -> TorchScript.

# %%
import copy
import os
import time

import torch
import torch.nn as nn
import torch.ao.quantization as tq
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

torch.backends.quantized.engine = "fbgemm"

# %%
tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
train_set = datasets.FashionMNIST("data", train=True, download=True, transform=tf)
test_set = datasets.FashionMNIST("data", train=False, download=True, transform=tf)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=500)
calib_loader = DataLoader(torch.utils.data.Subset(train_set, range(2000)), batch_size=100)


# %%
class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(32 * 7 * 7, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool(self.relu2(self.bn2(self.conv2(x))))
        x = self.fc(torch.flatten(x, 1))
        return self.dequant(x)


def accuracy(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def size_mb(model):
    torch.save(model.state_dict(), "tmp.pt")
    s = os.path.getsize("tmp.pt") / 1e6
    os.remove("tmp.pt")
    return s


# %%
model = QNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    for x, y in train_loader:
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")

# %% [markdown]
# From here on the float model is only used for inference.

# %%
model.eval()
print("float acc:", accuracy(model, test_loader), "size:", size_mb(model), "MB")

# %%
traced_fp32 = torch.jit.trace(model, torch.randn(1, 1, 28, 28))
traced_fp32.save("qnet_fp32.pt")

# %% [markdown]
# ## Fuse, calibrate, convert (on a copy so the float model stays around)

# %%
qmodel = copy.deepcopy(model)
qmodel = tq.fuse_modules(qmodel, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]])
qmodel.qconfig = tq.get_default_qconfig("fbgemm")
tq.prepare(qmodel, inplace=True)

with torch.no_grad():
    for x, _ in calib_loader:
        qmodel(x)

tq.convert(qmodel, inplace=True)
print("int8 acc:", accuracy(qmodel, test_loader), "size:", size_mb(qmodel), "MB")

# %%
x = torch.randn(32, 1, 28, 28)
for name, m in [("fp32", model), ("int8", qmodel)]:
    t0 = time.perf_counter()
    for _ in range(20):
        with torch.no_grad():
            m(x)
    print(f"{name}: {(time.perf_counter() - t0) / 20 * 1e3:.2f} ms")

# %%
torch.jit.save(torch.jit.script(qmodel), "qnet_int8.pt")
torch.onnx.export(model, torch.randn(1, 1, 28, 28), "qnet_fp32.onnx", opset_version=17)
