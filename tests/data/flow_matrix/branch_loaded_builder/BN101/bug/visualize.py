import sys

import torch

from models import build_model

if __name__ == "__main__":
    net = build_model(sys.argv[1])
    net.load_state_dict(torch.load(sys.argv[2])["model"])
    with torch.no_grad():
        for images in torch.load(sys.argv[3]):
            print(net(images).argmax(1))
