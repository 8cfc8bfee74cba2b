import torch

from networks import Encoder


class Distiller:
    def __init__(self, loader):
        self.loader = loader
        self.student = Encoder()
        self.teacher = Encoder()
        self.teacher.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.student.parameters(), 1e-4)

    def fit(self, epochs):
        for _ in range(epochs):
            self.student.train()
            self.teacher.eval()
            for x in self.loader:
                target = self.teacher(x).detach()
                loss = (self.student(x) - target).abs().mean()
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
