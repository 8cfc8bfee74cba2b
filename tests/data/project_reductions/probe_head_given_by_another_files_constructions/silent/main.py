import torch
from trainer import Trainer

bn = torch.nn.BatchNorm1d(8)
trainer = Trainer(linear_classifier=torch.nn.Linear(8, 2))
