import torch
from zoo import pick


def main(loader, kind, path):
    net = pick(kind)
    net.load_state_dict(torch.load(path))
    with torch.no_grad():
        for x, _ in loader:
            print(net(x).argmax(1))
