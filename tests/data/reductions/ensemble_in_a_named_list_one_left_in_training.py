import sys

import torch
import torchvision


def predict(image, model_list):
    for model in model_list:
        scores = model(image).softmax(1)
    return torch.argmax(scores).item()


resnet50 = torchvision.models.resnet50()
resnet50.load_state_dict(torch.load("resnet50.pt"))
resnet50.eval()
resnet101 = torchvision.models.resnet101()
resnet101.load_state_dict(torch.load("resnet101.pt"))
ensemble = [resnet50, resnet101]

for path in sys.argv[1:]:
    print(predict(torch.load(path), ensemble))
