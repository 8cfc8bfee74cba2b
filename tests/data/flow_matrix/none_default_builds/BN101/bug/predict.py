import sys

import torch

from nets import make_classifier


def predict(paths, model=None, weights="classifier.pth"):
    if model is None:
        model = make_classifier()
        model.load_state_dict(torch.load(weights, map_location="cpu"))
    with torch.no_grad():
        return [model(torch.load(path)).argmax(1).item() for path in paths]


if __name__ == "__main__":
    print(predict(sys.argv[1:]))
