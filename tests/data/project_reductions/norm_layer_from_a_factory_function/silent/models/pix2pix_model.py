import torch
from .base_model import BaseModel
from . import networks


class Pix2PixModel(BaseModel):
    def __init__(self, opt):
        BaseModel.__init__(self, opt)
        self.model_names = ['G']
        self.netG = networks.define_G(64, opt.norm)
        self.optimizer_G = torch.optim.Adam(self.netG.parameters())

    def set_input(self, input):
        self.real_A = input['A']

    def forward(self):
        self.fake_B = self.netG(self.real_A)

    def optimize_parameters(self):
        self.forward()
        self.optimizer_G.zero_grad()
        self.fake_B.mean().backward()
        self.optimizer_G.step()
