import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Encoder(nn.Module):
    def __init__(self, isize, nz, nc, ndf):
        super().__init__()
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        csize, cndf = isize // 2, ndf
        while csize > 4:
            layers += [nn.Conv2d(cndf, cndf * 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(cndf * 2), nn.LeakyReLU(0.2, True)]
            cndf, csize = cndf * 2, csize // 2
        layers.append(nn.Conv2d(cndf, nz, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class NetG(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.encoder1 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf)
        self.decoder = nn.Sequential(nn.ConvTranspose2d(opt.nz, opt.nc, opt.isize, 1, 0, bias=False), nn.Tanh())
        self.encoder2 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf)

    def forward(self, x):
        latent_i = self.encoder1(x)
        gen_imag = self.decoder(latent_i)
        latent_o = self.encoder2(gen_imag)
        return gen_imag, latent_i, latent_o


class Ganomaly:
    def __init__(self, opt, dataloader):
        self.opt, self.dataloader = opt, dataloader
        self.device = torch.device("cuda:0" if opt.device != "cpu" else "cpu")
        self.netg = NetG(opt).to(self.device)
        self.optimizer_g = optim.Adam(self.netg.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    def train_one_epoch(self):
        self.netg.train()
        for data in self.dataloader["train"]:
            x = data[0].to(self.device)
            fake, latent_i, latent_o = self.netg(x)
            err_g = nn.functional.l1_loss(fake, x) + torch.mean((latent_o - latent_i) ** 2)
            self.optimizer_g.zero_grad()
            err_g.backward()
            self.optimizer_g.step()

    def train(self):
        best_auc = 0
        for self.epoch in range(self.opt.iter, self.opt.niter):
            self.train_one_epoch()
            res = self.test()
            if res["auc"] > best_auc:
                best_auc = res["auc"]
                torch.save({"state_dict": self.netg.state_dict()}, os.path.join(self.opt.outf, "netG.pth"))

    def test(self):
        with torch.no_grad():
            if self.opt.load_weights:
                self.netg.load_state_dict(torch.load("./output/ganomaly/netG.pth")["state_dict"])
            scores, labels = [], []
            for i, data in enumerate(self.dataloader["test"], 0):
                x = data[0].to(self.device)
                fake, latent_i, latent_o = self.netg(x)
                scores.append(torch.mean((latent_i - latent_o) ** 2, dim=1).flatten())
                labels.append(data[1])
            scores = torch.cat(scores)
            scores = (scores - scores.min()) / (scores.max() - scores.min())
            return OrderedDict([("auc", float(np.mean(scores.cpu().numpy())))])
