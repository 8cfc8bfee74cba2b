# Eval-mode outputs differ by ~1e-6 between batch size 1 and batch size 64.
# Is this expected (different conv algorithms per batch size)? torch 2.1, CPU.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


model = nn.Sequential(
    conv_bn(3, 32, 2),
    conv_bn(32, 64, 2),
    conv_bn(64, 64),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(64, 10),
)
model.train(False)

data = TensorDataset(torch.randn(65, 3, 32, 32))
single = DataLoader(data, batch_size=1)
full = DataLoader(data, batch_size=65)

with torch.no_grad():
    ref = model(next(iter(full))[0])
    outs = torch.cat([model(xb) for (xb,) in single])

print("max abs diff:", (outs - ref).abs().max().item())
torch.testing.assert_close(outs, ref, rtol=1e-4, atol=1e-5)
print("OK: batch size does not change eval-mode outputs beyond fp tolerance")
