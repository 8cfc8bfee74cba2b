import torch

from evaluation import report
from nets import Net

model = Net()
model.load_state_dict(torch.load("net.pt"))
model.eval()
report(model, torch.load("test_loader.pt"))
