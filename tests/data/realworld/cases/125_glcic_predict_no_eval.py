import argparse
import json
import os

import torch
import torch.nn as nn
import torchvision.transforms as transforms
from PIL import Image
from torchvision.utils import save_image

from utils import gen_input_mask, poisson_blend


class CompletionNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 64, kernel_size=5, stride=1, padding=2)
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(128)
        self.act2 = nn.ReLU()
        self.deconv = nn.ConvTranspose2d(128, 3, kernel_size=4, stride=2, padding=1)
        self.act3 = nn.Sigmoid()

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        return self.act3(self.deconv(x))


parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("config")
parser.add_argument("input_img")
parser.add_argument("output_img")
parser.add_argument("--img_size", type=int, default=160)


def main(args):
    with open(os.path.expanduser(args.config), "r") as f:
        config = json.load(f)
    mpv = torch.tensor(config["mpv"]).view(1, 3, 1, 1)
    model = CompletionNetwork()
    if config["data_parallel"]:
        model = torch.nn.DataParallel(model)
    model.load_state_dict(torch.load(os.path.expanduser(args.model), map_location="cpu"))

    img = Image.open(os.path.expanduser(args.input_img))
    img = transforms.Resize(args.img_size)(img)
    img = transforms.RandomCrop((args.img_size, args.img_size))(img)
    x = torch.unsqueeze(transforms.ToTensor()(img), dim=0)
    mask = gen_input_mask(shape=(1, 1, x.shape[2], x.shape[3]), hole_size=((48, 96), (48, 96)), max_holes=1)

    # inpaint
    with torch.no_grad():
        x_mask = x - x * mask + mpv * mask
        input = torch.cat((x_mask, mask), dim=1)
        output = model(input)
        inpainted = poisson_blend(x, output, mask)
        save_image(torch.cat((x, x_mask, inpainted), dim=0), args.output_img, nrow=3)
    print("output img was saved as %s." % args.output_img)


if __name__ == "__main__":
    main(parser.parse_args())
