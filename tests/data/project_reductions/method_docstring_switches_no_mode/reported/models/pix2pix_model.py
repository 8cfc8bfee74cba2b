import torch
from .base_model import BaseModel


class Pix2PixModel(BaseModel):
    def __init__(self, opt):
        BaseModel.__init__(self, opt)
        self.model_names = ['G']
        self.visual_names = ['fake_B']
        self.netG = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, bias=False), torch.nn.BatchNorm2d(8))
        self.optimizer_G = torch.optim.Adam(self.netG.parameters())
        self.schedulers = [torch.optim.lr_scheduler.StepLR(self.optimizer_G, 10)]

    def set_input(self, input):
        self.real_A = input['A']

    def forward(self):
        self.fake_B = self.netG(self.real_A)

    def optimize_parameters(self):
        self.forward()
        self.optimizer_G.zero_grad()
        self.fake_B.mean().backward()
        self.optimizer_G.step()
