import argparse
import functools

import torch
import torch.nn as nn
from data.aligned_dataset import AlignedDataset


def get_norm_layer(norm_type="instance"):
    if norm_type == "batch":
        norm_layer = functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    elif norm_type == "instance":
        norm_layer = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    else:
        raise NotImplementedError("normalization layer [%s] is not found" % norm_type)
    return norm_layer


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, submodule=None, outermost=False, innermost=False,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.outermost = outermost
        use_bias = norm_layer.func == nn.InstanceNorm2d
        downconv = nn.Conv2d(outer_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downnorm = norm_layer(inner_nc)
        upnorm = norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, nn.ReLU(True), upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [nn.LeakyReLU(0.2, True), downconv, nn.ReLU(True), upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [nn.LeakyReLU(0.2, True), downconv, downnorm, submodule, nn.ReLU(True), upconv, upnorm]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


parser = argparse.ArgumentParser()
parser.add_argument("--dataroot", required=True)
parser.add_argument("--batch_size", type=int, default=1, help="input batch size")
parser.add_argument("--norm", type=str, default="batch", help="instance normalization or batch normalization")
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--serial_batches", action="store_true")
parser.add_argument("--num_threads", default=4, type=int)
opt = parser.parse_args()

norm_layer = get_norm_layer(opt.norm)
block = UnetSkipConnectionBlock(opt.ngf * 8, opt.ngf * 8, innermost=True, norm_layer=norm_layer)
block = UnetSkipConnectionBlock(opt.ngf * 4, opt.ngf * 8, submodule=block, norm_layer=norm_layer)
netG = UnetSkipConnectionBlock(3, opt.ngf * 4, submodule=block, outermost=True, norm_layer=norm_layer)
dataset = AlignedDataset(opt)
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batch_size, shuffle=not opt.serial_batches,
                                         num_workers=int(opt.num_threads))
optimizer = torch.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
netG.train()
for data in dataloader:
    real_A, real_B = data["A"], data["B"]
    optimizer.zero_grad()
    loss = nn.functional.l1_loss(netG(real_A), real_B)
    loss.backward()
    optimizer.step()
