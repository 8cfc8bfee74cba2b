"""DCGAN (Radford et al.) on CelebA -- restructured version of the PyTorch
DCGAN tutorial with named layers so checkpoints are easier to inspect."""
import argparse
import os
import random
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

parser = argparse.ArgumentParser()
parser.add_argument('--dataroot', default='data/celeba')
parser.add_argument('--workers', type=int, default=2)
parser.add_argument('--batch_size', type=int, default=128)
parser.add_argument('--image_size', type=int, default=64)
parser.add_argument('--nc', type=int, default=3)
parser.add_argument('--nz', type=int, default=100)
parser.add_argument('--ngf', type=int, default=64)
parser.add_argument('--ndf', type=int, default=64)
parser.add_argument('--num_epochs', type=int, default=5)
parser.add_argument('--lr', type=float, default=0.0002)
parser.add_argument('--beta1', type=float, default=0.5)
parser.add_argument('--ngpu', type=int, default=1)
parser.add_argument('--out', default='out_dcgan')
args = parser.parse_args()

manualSeed = 999
random.seed(manualSeed)
torch.manual_seed(manualSeed)
torch.use_deterministic_algorithms(True)
os.makedirs(args.out, exist_ok=True)

nc, nz, ngf, ndf = args.nc, args.nz, args.ngf, args.ndf

dataset = dset.ImageFolder(root=args.dataroot,
                           transform=transforms.Compose([
                               transforms.Resize(args.image_size),
                               transforms.CenterCrop(args.image_size),
                               transforms.ToTensor(),
                               transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
                           ]))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, drop_last=True)

device = torch.device("cuda:0" if (torch.cuda.is_available() and args.ngpu > 0) else "cpu")


def weights_init(m):
    """N(0, 0.02) for convs, N(1, 0.02) for the BN scale, as in the paper."""
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def up_block(name, in_c, out_c, k=4, s=2, p=1):
    return [
        (name + '_deconv', nn.ConvTranspose2d(in_c, out_c, k, s, p, bias=False)),
        (name + '_bn', nn.BatchNorm2d(out_c, momentum=0.1, eps=1e-5)),
        (name + '_relu', nn.ReLU(True)),
    ]


def down_block(name, in_c, out_c, use_bn=True):
    layers = [(name + '_conv', nn.Conv2d(in_c, out_c, 4, 2, 1, bias=not use_bn))]
    if use_bn:
        layers.append((name + '_bn', nn.BatchNorm2d(out_c)))
    layers.append((name + '_lrelu', nn.LeakyReLU(0.2, inplace=True)))
    return layers


class Generator(nn.Module):
    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        layers = []
        layers += up_block('g1', nz, ngf * 8, s=1, p=0)    # 4x4
        layers += up_block('g2', ngf * 8, ngf * 4)         # 8x8
        layers += up_block('g3', ngf * 4, ngf * 2)         # 16x16
        layers += up_block('g4', ngf * 2, ngf)             # 32x32
        layers += [('g5_deconv', nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)),
                   ('tanh', nn.Tanh())]                   # 64x64
        self.main = nn.Sequential(OrderedDict(layers))

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        layers = []
        layers += down_block('d1', nc, ndf, use_bn=False)   # no BN on the input layer
        layers += down_block('d2', ndf, ndf * 2)
        layers += down_block('d3', ndf * 2, ndf * 4)
        layers += down_block('d4', ndf * 4, ndf * 8)
        layers += [('d5_conv', nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False)),
                   ('sigmoid', nn.Sigmoid())]
        self.main = nn.Sequential(OrderedDict(layers))

    def forward(self, input):
        return self.main(input).view(-1)


netG = Generator(args.ngpu).to(device)
netD = Discriminator(args.ngpu).to(device)
if (device.type == 'cuda') and (args.ngpu > 1):
    netG = nn.DataParallel(netG, list(range(args.ngpu)))
    netD = nn.DataParallel(netD, list(range(args.ngpu)))
netG.apply(weights_init)
netD.apply(weights_init)

criterion = nn.BCELoss()
fixed_noise = torch.randn(64, nz, 1, 1, device=device)
real_label = 1.
fake_label = 0.

optimizerD = optim.Adam(netD.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=args.lr, betas=(args.beta1, 0.999))

img_list = []
G_losses = []
D_losses = []
iters = 0

print("Starting Training Loop...")
for epoch in range(args.num_epochs):
    for i, data in enumerate(dataloader, 0):
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        netD.zero_grad()
        real_cpu = data[0].to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        noise = torch.randn(b_size, nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()

        if i % 50 == 0:
            print('[%d/%d][%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
                  % (epoch, args.num_epochs, i, len(dataloader),
                     errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

        G_losses.append(errG.item())
        D_losses.append(errD.item())

        # Check how the generator is doing by saving G's output on fixed_noise
        if (iters % 500 == 0) or ((epoch == args.num_epochs - 1) and (i == len(dataloader) - 1)):
            netG.eval()
            with torch.no_grad():
                samples = netG(fixed_noise).detach().cpu()
            netG.train()
            img_list.append(vutils.make_grid(samples, padding=2, normalize=True))
            vutils.save_image(samples, os.path.join(args.out, 'fake_%06d.png' % iters), normalize=True)

        iters += 1

    torch.save({'netG': netG.state_dict(), 'netD': netD.state_dict(), 'epoch': epoch},
               os.path.join(args.out, 'dcgan_epoch_%d.pth' % epoch))
