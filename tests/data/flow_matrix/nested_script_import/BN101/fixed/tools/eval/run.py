import os
import sys

sys.path.append(os.getcwd())

import torch  # noqa: E402

from models.net import build  # noqa: E402


def main(weights, images):
    model = build()
    model.load_state_dict(torch.load(weights))
    model.eval()
    with torch.no_grad():
        return [model(image.unsqueeze(0)).argmax(1).item() for image in images]


if __name__ == "__main__":
    print(main(sys.argv[1], torch.load(sys.argv[2])))
