import torch
import torchvision.models as models
from compressor.quantization import load


def run(args, val_loader):
    model = models.resnet18(pretrained=True)
    if args.int8:
        new_model = load(args.checkpoint)
    else:
        new_model = model
    check(val_loader, new_model)


def check(val_loader, model):
    with torch.no_grad():
        for images, target in val_loader:
            output = model(images)
            print((output.argmax(1) == target).float().mean())
