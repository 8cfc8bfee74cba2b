# RuntimeError: running_mean should contain 32 elements not 64
# Full traceback below the script. torch 1.13.1
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

net = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(1, 32, kernel_size=3, bias=False)),
    ("relu1", nn.ReLU()),
    ("pool1", nn.MaxPool2d(2)),
    ("bn1", nn.BatchNorm2d(64)),  # expect: BN201
    ("conv2", nn.Conv2d(32, 64, kernel_size=3, bias=False)),
    ("bn2", nn.BatchNorm2d(64)),
    ("relu2", nn.ReLU()),
    ("pool2", nn.MaxPool2d(2)),
    ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(64 * 5 * 5, 128, bias=False)),
    ("bn3", nn.BatchNorm2d(128)),  # expect: BN202
    ("relu3", nn.ReLU()),
    ("fc2", nn.Linear(128, 10)),
]))

for name, m in net.named_children():
    print(name, m)

x = torch.randn(16, 1, 28, 28)
y = torch.randint(0, 10, (16,))
opt = torch.optim.SGD(net.parameters(), lr=0.01)
loss = F.cross_entropy(net(x), y)
loss.backward()
opt.step()
print(loss.item())

# Traceback (most recent call last):
#   File "repro.py", line 33, in <module>
#     loss = F.cross_entropy(net(x), y)
#   ...
# RuntimeError: running_mean should contain 32 elements not 64
