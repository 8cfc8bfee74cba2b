import sys

import torch
import torchvision

from infer_utils import predict

resnet50 = torchvision.models.resnet50()
resnet50.load_state_dict(torch.load("resnet50.pt"))
resnet101 = torchvision.models.resnet101()
resnet101.load_state_dict(torch.load("resnet101.pt"))

for path in sys.argv[1:]:
    print(predict(torch.load(path), (resnet50, resnet101)))
