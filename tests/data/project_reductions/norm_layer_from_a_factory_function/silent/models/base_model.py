import torch


class BaseModel:
    def __init__(self, opt):
        self.opt = opt
        self.model_names = []

    def eval(self):
        for name in self.model_names:
            net = getattr(self, 'net' + name)
            net.eval()

    def test(self):
        with torch.no_grad():
            self.forward()
