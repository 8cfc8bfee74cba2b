import torch

from networks import Encoder


class Trainer:
    def __init__(self, loader):
        self.loader = loader
        self.student = Encoder()
        self.teacher = Encoder()
        self.optimizer = torch.optim.Adam(self.student.parameters(), 1e-4)

    def set_train(self):
        self.student.train()
        self.teacher.train()

    def train(self):
        self.teacher.requires_grad_(False)
        for _ in range(20):
            self.set_train()
            for x in self.loader:
                with torch.no_grad():
                    target = self.teacher(x)
                loss = (self.student(x) - target).abs().mean()
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
