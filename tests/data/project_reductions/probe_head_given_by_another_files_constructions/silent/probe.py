import torch
from trainer import Trainer

head = torch.nn.Linear(8, 2)
probe = Trainer(head)
