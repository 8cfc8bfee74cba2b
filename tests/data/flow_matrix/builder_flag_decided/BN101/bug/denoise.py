import sys

import torch

from zoo import create

net = create(sys.argv[1], width=64)
noisy = torch.load(sys.argv[2])
with torch.no_grad():
    clean = net(noisy)
torch.save(clean, "clean.pt")
