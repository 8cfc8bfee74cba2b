from abc import ABC

import torch


class BaseModel(ABC):
    def __init__(self, opt):
        self.opt = opt
        self.model_names = []
        self.visual_names = []
        self.schedulers = []
        self.metric = 0  # used for learning rate policy 'plateau'

    def eval(self):
        for name in self.model_names:
            if isinstance(name, str):
                net = getattr(self, 'net' + name)
                net.eval()

    def test(self):
        with torch.no_grad():
            self.forward()

    def update_learning_rate(self):
        for scheduler in self.schedulers:
            if self.opt.lr_policy == 'plateau':
                scheduler.step(self.metric)
            else:
                scheduler.step()

    def get_current_visuals(self):
        """Return visualization images. train.py will display these images."""
        return {name: getattr(self, name) for name in self.visual_names}
