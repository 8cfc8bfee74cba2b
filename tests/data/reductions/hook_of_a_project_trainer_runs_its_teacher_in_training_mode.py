import torch
import torchvision


class Hook:
    def train_begin(self):
        return


class Distillation(Hook):
    def __init__(self, path):
        self.teacher = torchvision.models.resnet18(num_classes=10)
        self.teacher.load_state_dict(torch.load(path))
        self.targets = {}

    def train_begin(self):
        with torch.no_grad():
            for images, index in self.trainer.train_loader:
                self.targets[index] = self.teacher(images)


class Trainer:
    def __init__(self, hooks, train_loader):
        self.hooks, self.train_loader = hooks, train_loader
        for hook in hooks:
            hook.trainer = self

    def train(self):
        for hook in self.hooks:
            hook.train_begin()
