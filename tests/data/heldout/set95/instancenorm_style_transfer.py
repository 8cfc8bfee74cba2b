"""Fast neural style transfer (Johnson et al.) with instance normalisation.

Images of arbitrary aspect ratio are trained one at a time, which is fine
here: InstanceNorm2d normalises every sample on its own and (with the default
track_running_stats=False) keeps no running statistics. The VGG-16 loss
network has no BatchNorm at all (plain vgg16, not vgg16_bn).
"""
import argparse
import glob

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import VGG16_Weights, vgg16


class ConvLayer(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, stride):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride)

    def forward(self, x):
        return self.conv(self.pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = ConvLayer(ch, ch, 3, 1)
        self.in1 = nn.InstanceNorm2d(ch, affine=True)
        self.conv2 = ConvLayer(ch, ch, 3, 1)
        self.in2 = nn.InstanceNorm2d(ch, affine=True)

    def forward(self, x):
        out = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(out))


class TransformerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer(3, 32, 9, 1)
        self.in1 = nn.InstanceNorm2d(32, affine=True)
        self.conv2 = ConvLayer(32, 64, 3, 2)
        self.in2 = nn.InstanceNorm2d(64, affine=True)
        self.conv3 = ConvLayer(64, 128, 3, 2)
        self.in3 = nn.InstanceNorm2d(128, affine=True)
        self.res = nn.Sequential(*[ResidualBlock(128) for _ in range(5)])
        self.deconv1 = nn.Conv2d(128, 64, 3, padding=1)
        self.in4 = nn.InstanceNorm2d(64, affine=True)
        self.deconv2 = nn.Conv2d(64, 32, 3, padding=1)
        self.in5 = nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, 9, 1)

    def forward(self, x):
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        y = self.res(y)
        y = F.relu(self.in4(self.deconv1(F.interpolate(y, scale_factor=2, mode="nearest"))))
        y = F.relu(self.in5(self.deconv2(F.interpolate(y, scale_factor=2, mode="nearest"))))
        return self.deconv3(y)


class VGGFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        features = vgg16(weights=VGG16_Weights.IMAGENET1K_V1).features
        self.slices = nn.ModuleList([features[:4], features[4:9], features[9:16], features[16:23]])
        self.eval()
        self.requires_grad_(False)

    def forward(self, x):
        outs = []
        for s in self.slices:
            x = s(x)
            outs.append(x)
        return outs


def gram(y):
    n, c, h, w = y.shape
    f = y.view(n, c, h * w)
    return f.bmm(f.transpose(1, 2)) / (c * h * w)


class ImageFolderFlat(Dataset):
    def __init__(self, pattern, tf):
        self.files = sorted(glob.glob(pattern))
        self.tf = tf

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.tf(Image.open(self.files[i]).convert("RGB"))


IMAGENET_NORM = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def train(args):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tf = transforms.Compose([transforms.Resize(args.size), transforms.ToTensor()])
    # one image per step: no cropping, aspect ratio preserved
    loader = DataLoader(ImageFolderFlat(args.content_glob, tf), batch_size=1, shuffle=True)
    net = TransformerNet().to(device)
    vgg = VGGFeatures().to(device)
    style = tf(Image.open(args.style).convert("RGB"))[None].to(device)
    with torch.no_grad():
        style_grams = [gram(f) for f in vgg(IMAGENET_NORM(style))]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for epoch in range(args.epochs):
        for step, x in enumerate(loader):
            x = x.to(device)
            y = net(x)
            fy, fx = vgg(IMAGENET_NORM(y)), vgg(IMAGENET_NORM(x))
            content = F.mse_loss(fy[1], fx[1])
            style_loss = sum(F.mse_loss(gram(a), g) for a, g in zip(fy, style_grams))
            loss = args.content_weight * content + args.style_weight * style_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 500 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.2f}")
    torch.save(net.state_dict(), args.out)


@torch.no_grad()
def stylize(weights, image_path, out_path):
    net = TransformerNet()
    net.load_state_dict(torch.load(weights, map_location="cpu"))
    net.eval()
    x = transforms.ToTensor()(Image.open(image_path).convert("RGB"))[None]
    y = net(x).clamp(0, 1)[0]
    transforms.ToPILImage()(y).save(out_path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--content-glob", default="coco/train2017/*.jpg")
    ap.add_argument("--style", default="styles/mosaic.jpg")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--content-weight", type=float, default=1e5)
    ap.add_argument("--style-weight", type=float, default=1e10)
    ap.add_argument("--out", default="mosaic.pth")
    train(ap.parse_args())
