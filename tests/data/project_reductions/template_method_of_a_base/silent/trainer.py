import torch


class Trainer(object):
    def __init__(self, model, data, optimizer):
        self.model = model
        self.data = data
        self.optimizer = optimizer

    def _train_epoch(self):
        self.model.train()
        for batch in self.data:
            self.optimizer.zero_grad()
            self.get_loss_and_backward(batch)
            self.optimizer.step()

    def _eval_epoch(self):
        self.model.eval()
        for batch in self.data:
            with torch.no_grad():
                self.evaluate(batch)

    def get_loss_and_backward(self, batch):
        raise NotImplementedError

    def evaluate(self, batch):
        raise NotImplementedError
