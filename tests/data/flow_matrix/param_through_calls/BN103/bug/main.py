import torch

from loops import fit
from nets import Net

model = Net()
fit(model, torch.load("train.pt"), torch.load("val.pt"), torch.optim.SGD(model.parameters(), lr=0.1), 10)
