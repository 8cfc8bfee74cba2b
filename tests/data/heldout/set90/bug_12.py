"""
Super-resolution GAN (SRGAN, Ledig et al. 2017), 4x upscaling on DIV2K crops.
Generator: 16 residual blocks; discriminator: VGG-style; perceptual loss on VGG19 features.
"""
import glob
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import vgg19
from torchvision.utils import save_image

hparams = {
    "dataset": "data/DIV2K_train_HR",
    "val_dataset": "data/DIV2K_valid_HR",
    "epochs": 200,
    "batch_size": 4,
    "lr": 2e-4,
    "b1": 0.5,
    "b2": 0.999,
    "hr_height": 256,
    "hr_width": 256,
    "channels": 3,
    "n_residual_blocks": 16,
    "sample_interval": 500,
    "checkpoint_interval": 10,
}

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


class ImageDataset(Dataset):
    def __init__(self, root, hr_shape):
        h, w = hr_shape
        self.lr_transform = transforms.Compose([
            transforms.Resize((h // 4, w // 4), Image.BICUBIC),
            transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        self.hr_transform = transforms.Compose([
            transforms.Resize((h, w), Image.BICUBIC),
            transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        self.files = sorted(glob.glob(root + "/*.*"))

    def __getitem__(self, index):
        img = Image.open(self.files[index % len(self.files)]).convert("RGB")
        return {"lr": self.lr_transform(img), "hr": self.hr_transform(img)}

    def __len__(self):
        return len(self.files)


class FeatureExtractor(nn.Module):
    def __init__(self):
        super().__init__()
        self.feature_extractor = nn.Sequential(*list(vgg19(weights="IMAGENET1K_V1").features.children())[:18])

    def forward(self, img):
        return self.feature_extractor(img)


class ResidualBlock(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.Conv2d(in_features, in_features, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(in_features, 0.8),  # expect: BN206
            nn.PReLU(),
            nn.Conv2d(in_features, in_features, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(in_features),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class GeneratorResNet(nn.Module):
    def __init__(self, in_channels=3, out_channels=3, n_residual_blocks=16):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=9, stride=1, padding=4), nn.PReLU())
        self.res_blocks = nn.Sequential(*[ResidualBlock(64) for _ in range(n_residual_blocks)])
        self.conv2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1, bias=False),
                                   nn.BatchNorm2d(64))
        upsampling = []
        for _ in range(2):
            upsampling += [nn.Conv2d(64, 256, 3, 1, 1), nn.PixelShuffle(upscale_factor=2), nn.PReLU()]
        self.upsampling = nn.Sequential(*upsampling)
        self.conv3 = nn.Sequential(nn.Conv2d(64, out_channels, kernel_size=9, stride=1, padding=4), nn.Tanh())

    def forward(self, x):
        out1 = self.conv1(x)
        out = self.res_blocks(out1)
        out = torch.add(out1, self.conv2(out))
        return self.conv3(self.upsampling(out))


class Discriminator(nn.Module):
    def __init__(self, input_shape):
        super().__init__()
        in_channels, in_height, in_width = input_shape
        self.output_shape = (1, in_height // 2 ** 4, in_width // 2 ** 4)

        def block(in_filters, out_filters, first_block=False):
            layers = [nn.Conv2d(in_filters, out_filters, 3, 1, 1, bias=first_block)]
            if not first_block:
                layers.append(nn.BatchNorm2d(out_filters))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            layers.append(nn.Conv2d(out_filters, out_filters, 3, 2, 1, bias=False))
            layers.append(nn.BatchNorm2d(out_filters))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        layers, in_filters = [], in_channels
        for i, out_filters in enumerate([64, 128, 256, 512]):
            layers.extend(block(in_filters, out_filters, first_block=(i == 0)))
            in_filters = out_filters
        layers.append(nn.Conv2d(out_filters, 1, 3, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, img):
        return self.model(img)


def main():
    os.makedirs("images/srgan", exist_ok=True)
    os.makedirs("saved_models/srgan", exist_ok=True)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    hr_shape = (hparams["hr_height"], hparams["hr_width"])

    generator = GeneratorResNet(n_residual_blocks=hparams["n_residual_blocks"]).to(device)
    discriminator = Discriminator((hparams["channels"], *hr_shape)).to(device)
    feature_extractor = FeatureExtractor().to(device)
    feature_extractor.eval()

    criterion_GAN = nn.MSELoss()
    criterion_content = nn.L1Loss()
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=hparams["lr"], betas=(hparams["b1"], hparams["b2"]))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=hparams["lr"], betas=(hparams["b1"], hparams["b2"]))

    dataloader = DataLoader(ImageDataset(hparams["dataset"], hr_shape), batch_size=hparams["batch_size"],  # expect: BN301
                            shuffle=True, num_workers=8)

    for epoch in range(hparams["epochs"]):
        for i, imgs in enumerate(dataloader):
            imgs_lr, imgs_hr = imgs["lr"].to(device), imgs["hr"].to(device)
            valid = torch.ones((imgs_lr.size(0), *discriminator.output_shape), device=device)
            fake = torch.zeros((imgs_lr.size(0), *discriminator.output_shape), device=device)

            optimizer_G.zero_grad()
            gen_hr = generator(imgs_lr)
            loss_GAN = criterion_GAN(discriminator(gen_hr), valid)
            loss_content = criterion_content(feature_extractor(gen_hr), feature_extractor(imgs_hr).detach())
            loss_G = loss_content + 1e-3 * loss_GAN
            loss_G.backward()
            optimizer_G.step()

            optimizer_D.zero_grad()
            loss_real = criterion_GAN(discriminator(imgs_hr), valid)
            loss_fake = criterion_GAN(discriminator(gen_hr.detach()), fake)
            loss_D = (loss_real + loss_fake) / 2
            loss_D.backward()
            optimizer_D.step()

            sys.stdout.write(f"\r[Epoch {epoch}/{hparams['epochs']}] [Batch {i}/{len(dataloader)}] "
                             f"[D loss: {loss_D.item():.4f}] [G loss: {loss_G.item():.4f}]")
            batches_done = epoch * len(dataloader) + i
            if batches_done % hparams["sample_interval"] == 0:
                imgs_lr_up = nn.functional.interpolate(imgs_lr, scale_factor=4)
                save_image(torch.cat((imgs_lr_up, gen_hr.detach()), -1),
                           f"images/srgan/{batches_done}.png", normalize=True)

        if epoch % hparams["checkpoint_interval"] == 0:
            torch.save(generator.state_dict(), f"saved_models/srgan/generator_{epoch}.pth")
            torch.save(discriminator.state_dict(), f"saved_models/srgan/discriminator_{epoch}.pth")


if __name__ == "__main__":
    main()
