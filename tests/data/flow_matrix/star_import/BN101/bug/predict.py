import sys

import torch

from unet.model import *

net = UNetEncoder(n_channels=3)
net.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
images = torch.load(sys.argv[2])
with torch.no_grad():
    features = net(images)
torch.save(features, "features.pt")
