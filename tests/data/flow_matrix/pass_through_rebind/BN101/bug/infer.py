import sys

import torch
import torchvision

from utils import send_model_to_device


def main(paths):
    model = torchvision.models.resnet50(num_classes=4)
    model.load_state_dict(torch.load("best.pth", map_location="cpu"))
    model = send_model_to_device(model, "cuda")
    with torch.no_grad():
        for path in paths:
            image = torch.load(path).unsqueeze(0).cuda()
            print(path, model(image).argmax(1).item())


if __name__ == "__main__":
    main(sys.argv[1:])
