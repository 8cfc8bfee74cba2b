import torch
from torch.utils.data import DataLoader, TensorDataset


class DataModule:
    def __init__(self, num_samples=1001, batch_size=1, drop_last=False):
        self.dataset = TensorDataset(torch.randn(num_samples, 3, 32, 32), torch.randint(0, 10, (num_samples,)))
        self.batch_size = batch_size
        self.drop_last = drop_last

    def train_dataloader(self):
        return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True, drop_last=self.drop_last)
