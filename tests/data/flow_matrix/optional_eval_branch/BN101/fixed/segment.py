import argparse

import torch

from models import TinySegmenter


def segment(net, images):
    masks = []
    with torch.no_grad():
        for image in images:
            masks.append(net(image[None]).argmax(1))
    return masks


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=None)
    args = parser.parse_args()
    net = TinySegmenter()
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net.eval()
    torch.save(segment(net, torch.load("images.pt")), "masks.pt")
