import sys

import torch

from zoo import load_model


def main(name, weights, batches):
    model_func = load_model(name)
    model = model_func()
    model.load_state_dict(torch.load(weights))
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in batches:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2], torch.load(sys.argv[3])))
