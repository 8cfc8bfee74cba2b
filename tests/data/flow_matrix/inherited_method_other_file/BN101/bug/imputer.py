import numpy as np
import torch
import torch.nn as nn

from base import BaseModel


class Imputer(BaseModel):
    def __init__(self, summary_writer=None):
        super().__init__(summary_writer)
        self.model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8))
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def _train_model(self, training_loader, val_loader, epochs):
        training_step = 0
        for epoch in range(epochs):
            self.model.train()
            for x in training_loader:
                training_step += 1
                self.optimizer.zero_grad()
                loss = ((self.model(x) - x) ** 2).mean()
                loss.backward()
                self.optimizer.step()
                self._save_log_into_tb_file(training_step, "training", {"loss": loss.item()})
            losses = []
            with torch.no_grad():
                for x in val_loader:
                    losses.append(((self.model(x) - x) ** 2).mean().item())
            mean_val_loss = np.mean(losses)
            self._save_log_into_tb_file(epoch, "validating", {"imputation_loss": mean_val_loss})
