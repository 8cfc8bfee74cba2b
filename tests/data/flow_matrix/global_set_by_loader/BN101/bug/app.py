import argparse

import torch

from segment import Segmenter, get_mask

model = None


def load_model(path):
    global model
    model = Segmenter()
    model.load_state_dict(torch.load(path, map_location="cpu"))


def remove_background(image):
    return image * get_mask(model, image)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="segmenter.ckpt")
    args = parser.parse_args()
    load_model(args.weights)
    print(remove_background(torch.rand(1, 3, 64, 64)).mean())
