import torch
import torch.nn as nn


class Sampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8))

    def forward(self, pc):
        return self.decoder(pc)


class GraspNetModel:
    def __init__(self, opt):
        self.is_train = opt.is_train
        self.net = Sampler()
        if not self.is_train or opt.continue_train:
            self.load_network(opt.which_epoch, self.is_train)

    def load_network(self, which_epoch, train=True):
        net = self.net
        if isinstance(net, torch.nn.DataParallel):
            net = net.module
        net.load_state_dict(torch.load(which_epoch))
        if not train:
            net.eval()

    def forward(self):
        return self.net(self.pcs)

    def test(self):
        with torch.no_grad():
            out = self.forward()
        return out
