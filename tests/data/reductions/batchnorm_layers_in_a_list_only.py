import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, n_hidden):
        super().__init__()
        self.fcs = []
        self.bns = []
        for i in range(n_hidden):
            fc = nn.Linear(1 if i == 0 else 10, 10)
            setattr(self, "fc%i" % i, fc)
            self.fcs.append(fc)
            bn = nn.BatchNorm1d(10)
            self.bns.append(bn)
        self.predict = nn.Linear(10, 1)

    def forward(self, x):
        for fc, bn in zip(self.fcs, self.bns):
            x = torch.tanh(bn(fc(x)))
        return self.predict(x)


net = Net(3)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for x, y in [(torch.randn(16, 1), torch.randn(16, 1))]:
    loss = ((net(x) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
net.eval()
with torch.no_grad():
    print(net(torch.randn(4, 1)))
