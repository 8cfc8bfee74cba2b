import torch

from nets import Net
from tools import Metrics

net = Net()
net.load_state_dict(torch.load("net.pt"))
net.eval()
print(Metrics.accuracy(net, torch.load("test_loader.pt")))
