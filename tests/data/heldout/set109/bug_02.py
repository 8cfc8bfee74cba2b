# "Calling eval() does not stop running_mean from changing" -- minimal repro
# torch==2.0.1, python 3.10
import torch
from torch import nn

torch.manual_seed(42)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8, 0.9)  # expect: BN206
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = x.mean(dim=(2, 3))
        return self.head(x)


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(20):
    inp = torch.randn(32, 3, 16, 16)
    target = torch.randint(0, 2, (32,))
    loss = nn.functional.cross_entropy(net(inp), target)
    opt.zero_grad()
    loss.backward()
    opt.step()

sample = torch.randn(4, 3, 16, 16) * 10
before = net.bn.running_mean.clone()

net.eval  # expect: BN102
with torch.no_grad():
    out = net(sample)  # expect: BN101

print(out.softmax(dim=-1))
print("running_mean unchanged:", torch.equal(before, net.bn.running_mean))
# Expected: True
# Actual:   False
