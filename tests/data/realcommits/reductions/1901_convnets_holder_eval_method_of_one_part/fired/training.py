import copy
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten())

    def forward(self, x):
        return self.body(x)


class Executor:
    def __init__(self, model):
        self.model = model

    def forward(self, x):
        with torch.no_grad():
            return self.model(x)


class Trainer:
    def __init__(self, executor, use_ema):
        self.executor = executor
        self.use_ema = use_ema
        if use_ema:
            self.ema_executor = copy.deepcopy(executor)

    def eval(self):
        self.executor.model.eval()
        if self.use_ema:
            self.executor.model.eval()

    def validation_steps(self):
        steps = {"val": self.executor.forward}
        if self.use_ema:
            steps["val_ema"] = self.ema_executor.forward
        return steps


def validate(model, loader):
    with torch.no_grad():
        return [model(x).argmax(1) for x, _ in loader]


def train_loop(trainer, loader):
    print(trainer)
    for k, infer_fn in trainer.validation_steps().items():
        validate(trainer.ema_executor.model, loader)


def main(loader):
    trainer = Trainer(Executor(Net()), use_ema=True)
    train_loop(trainer, loader)
