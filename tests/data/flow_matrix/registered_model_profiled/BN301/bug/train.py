import argparse

import torch
from thop import profile
from timm.models import create_model

import registry_models

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="tinynet")
args = parser.parse_args()

model = create_model(args.model, num_classes=10)
input_size = [1, 3, 32, 32]
flops, params = profile(model, inputs=(torch.randn(input_size),))
print(flops, params)
