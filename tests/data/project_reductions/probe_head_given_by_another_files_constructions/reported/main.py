import torch
from trainer import Trainer

trainer = Trainer(linear_classifier=torch.nn.Sequential(torch.nn.Linear(8, 2, bias=False), torch.nn.BatchNorm1d(2)))
