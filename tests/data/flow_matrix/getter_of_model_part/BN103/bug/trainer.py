import torch

from probing import linear_probe
from ssl_model import SimSiam


class Trainer:
    def __init__(self, loader, probe_loader, eval_every=100):
        self.ssl_model = SimSiam()
        self.optimizer = torch.optim.SGD(self.ssl_model.parameters(), lr=0.05)
        self.loader = loader
        self.probe_loader = probe_loader
        self.eval_every = eval_every

    def train_experience(self, steps):
        self.ssl_model.train()
        for step, (x1, x2) in zip(range(steps), self.loader):
            loss = self.ssl_model(x1, x2)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if step % self.eval_every == 0:
                linear_probe(self.ssl_model.get_encoder_for_eval(), self.probe_loader)
