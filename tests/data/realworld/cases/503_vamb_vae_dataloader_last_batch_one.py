"""Vamb encode.py at commit e70179c (before 2d54c74, "No longer raises exception when
n_samples % batch_size = 1 (issue #5)"). Trimmed to the data loader, the VAE and training."""

import numpy as _np
import torch as _torch

from math import log as _log

from torch import nn as _nn
from torch import optim as _optim
from torch.nn import functional as _F
from torch.utils.data import DataLoader as _DataLoader
from torch.utils.data.dataset import TensorDataset as _TensorDataset
import vamb.vambtools as _vambtools


def make_dataloader(rpkm, tnf, batchsize=64, destroy=False, cuda=False):
    if batchsize < 1:
        raise ValueError('Minimum batchsize of 1, not {}'.format(batchsize))

    tnfsum = tnf.sum(axis=1)
    mask = tnfsum != 0
    depthssum = rpkm.sum(axis=1)
    mask &= depthssum != 0

    rpkm = rpkm[mask].astype(_np.float32, copy=False)
    tnf = tnf[mask].astype(_np.float32, copy=False)
    depthssum = depthssum[mask]

    # Normalize arrays and create the Tensors
    rpkm /= depthssum.reshape((-1, 1))
    _vambtools.zscore(tnf, axis=0, inplace=True)
    depthstensor = _torch.from_numpy(rpkm)
    tnftensor = _torch.from_numpy(tnf)

    # Create dataloader
    dataset = _TensorDataset(depthstensor, tnftensor)
    dataloader = _DataLoader(dataset=dataset, batch_size=batchsize,
                             shuffle=True, num_workers=1, pin_memory=cuda)

    return dataloader, mask


class VAE(_nn.Module):
    def __init__(self, nsamples, nhiddens=[325, 325], nlatent=40, alpha=0.05,
                 beta=200, dropout=0.2, cuda=False):
        super(VAE, self).__init__()

        self.usecuda = cuda
        self.nsamples = nsamples
        self.alpha = alpha
        self.beta = beta
        self.nhiddens = nhiddens
        self.nlatent = nlatent
        self.dropout = dropout

        # Initialize lists for holding hidden layers
        self.encoderlayers = _nn.ModuleList()
        self.encodernorms = _nn.ModuleList()
        self.decoderlayers = _nn.ModuleList()
        self.decodernorms = _nn.ModuleList()

        for nin, nout in zip([self.nsamples + 136] + self.nhiddens, self.nhiddens):
            self.encoderlayers.append(_nn.Linear(nin, nout))
            self.encodernorms.append(_nn.BatchNorm1d(nout))

        # Latent layers
        self.mu = _nn.Linear(self.nhiddens[-1], self.nlatent)
        self.logsigma = _nn.Linear(self.nhiddens[-1], self.nlatent)

        for nin, nout in zip([self.nlatent] + self.nhiddens[::-1], self.nhiddens[::-1]):
            self.decoderlayers.append(_nn.Linear(nin, nout))
            self.decodernorms.append(_nn.BatchNorm1d(nout))

        # Reconstruction (output) layer
        self.outputlayer = _nn.Linear(self.nhiddens[0], self.nsamples + 136)

        self.relu = _nn.LeakyReLU()
        self.softplus = _nn.Softplus()
        self.dropoutlayer = _nn.Dropout(p=self.dropout)

        if cuda:
            self.cuda()

    def _encode(self, tensor):
        for encoderlayer, encodernorm in zip(self.encoderlayers, self.encodernorms):
            tensor = encodernorm(self.dropoutlayer(self.relu(encoderlayer(tensor))))

        mu = self.mu(tensor)
        logsigma = self.softplus(self.logsigma(tensor))
        return mu, logsigma

    def reparameterize(self, mu, logsigma):
        epsilon = _torch.randn(mu.size(0), mu.size(1))
        if self.usecuda:
            epsilon = epsilon.cuda()
        epsilon.requires_grad = True
        return mu + epsilon * _torch.exp(logsigma/2)

    def _decode(self, tensor):
        for decoderlayer, decodernorm in zip(self.decoderlayers, self.decodernorms):
            tensor = decodernorm(self.dropoutlayer(self.relu(decoderlayer(tensor))))

        reconstruction = self.outputlayer(tensor)
        depths_out = _F.softmax(reconstruction.narrow(1, 0, self.nsamples), dim=1)
        tnf_out = reconstruction.narrow(1, self.nsamples, 136)
        return depths_out, tnf_out

    def forward(self, depths, tnf):
        tensor = _torch.cat((depths, tnf), 1)
        mu, logsigma = self._encode(tensor)
        latent = self.reparameterize(mu, logsigma)
        depths_out, tnf_out = self._decode(latent)
        return depths_out, tnf_out, mu, logsigma

    def calc_loss(self, depths_in, depths_out, tnf_in, tnf_out, mu, logsigma):
        ce = - (depths_out.log() * depths_in).sum(dim=1).mean()
        sse = (tnf_out - tnf_in).pow(2).sum(dim=1).mean()
        kld = -0.5 * (1 + logsigma - mu.pow(2) - logsigma.exp()).sum(dim=1).mean()

        ce_weight = (1 - self.alpha) / _log(self.nsamples)
        sse_weight = self.alpha / 136
        kld_weight = 1 / (self.nlatent * self.beta)
        loss = ce * ce_weight + sse * sse_weight + kld * kld_weight
        return loss, ce, sse, kld

    def trainepoch(self, data_loader, epoch, optimizer, batchsteps, logfile):
        self.train()

        if epoch in batchsteps:
            data_loader = _DataLoader(dataset=data_loader.dataset,
                                      batch_size=data_loader.batch_size * 2,
                                      shuffle=True,
                                      num_workers=data_loader.num_workers,
                                      pin_memory=data_loader.pin_memory)

        for depths_in, tnf_in in data_loader:
            depths_in.requires_grad = True
            tnf_in.requires_grad = True

            if self.usecuda:
                depths_in = depths_in.cuda()
                tnf_in = tnf_in.cuda()

            optimizer.zero_grad()

            depths_out, tnf_out, mu, logsigma = self(depths_in, tnf_in)

            loss, ce, sse, kld = self.calc_loss(depths_in, depths_out, tnf_in,
                                                tnf_out, mu, logsigma)
            loss.backward()
            optimizer.step()

        return data_loader

    def encode(self, data_loader):
        self.eval()

        new_data_loader = _DataLoader(dataset=data_loader.dataset,
                                      batch_size=data_loader.batch_size,
                                      shuffle=False,
                                      num_workers=1,
                                      pin_memory=data_loader.pin_memory)

        depths_array, tnf_array = data_loader.dataset.tensors
        latent = _np.empty((len(depths_array), self.nlatent), dtype=_np.float32)

        row = 0
        with _torch.no_grad():
            for depths, tnf in new_data_loader:
                if self.usecuda:
                    depths = depths.cuda()
                    tnf = tnf.cuda()
                out_depths, out_tnf, mu, logsigma = self(depths, tnf)
                if self.usecuda:
                    mu = mu.cpu()
                latent[row: row + len(mu)] = mu
                row += len(mu)

        return latent

    def trainmodel(self, dataloader, nepochs=500, lrate=1e-3,
                   batchsteps=[25, 75, 150, 300], logfile=None, modelfile=None):
        optimizer = _optim.Adam(self.parameters(), lr=lrate)

        for epoch in range(nepochs):
            dataloader = self.trainepoch(dataloader, epoch, optimizer, batchsteps, logfile)

        return None


# --- run.py ---
def trainvae(outdir, rpkms, tnfs, nhiddens, nlatent, alpha, beta, dropout, cuda,
             batchsize, nepochs, lrate, batchsteps, logfile):
    nsamples = rpkms.shape[1]
    vae = VAE(nsamples=nsamples, nhiddens=nhiddens, nlatent=nlatent,
              alpha=alpha, beta=beta, dropout=dropout, cuda=cuda)

    dataloader, mask = make_dataloader(rpkms, tnfs, batchsize,
                                       destroy=True, cuda=cuda)

    modelpath = outdir + '/model.pt'
    vae.trainmodel(dataloader, nepochs=nepochs, lrate=lrate, batchsteps=batchsteps,
                   logfile=logfile, modelfile=modelpath)

    latent = vae.encode(dataloader)
    return mask, latent
