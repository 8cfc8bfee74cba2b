import torch
import torch.nn as nn


class HiddenLayersFactory:
    def __init__(self, bn_decay):
        self.bn_decay = bn_decay

    def create(self, size):
        return nn.Sequential(nn.Linear(size, size), nn.BatchNorm1d(size, momentum=(1 - self.bn_decay)))


def sample(batch_size):
    generator = HiddenLayersFactory(0.01).create(10)
    generator.eval()
    with torch.no_grad():
        noise = torch.randn(batch_size, 10)
        batch_samples = generator(noise)
    return batch_samples.numpy()


if __name__ == '__main__':
    sample(64)
