import torch

from densenet import DenseStem

stem = DenseStem(growth_rate=32)
print(stem(torch.randn(2, 3, 224, 224)).shape)
