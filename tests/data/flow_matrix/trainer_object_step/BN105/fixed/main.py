import torch

from models import ClipAggregator
from trainer import Trainer

model = ClipAggregator()
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
trainer = Trainer(model, optimizer)
trainer.run(torch.load("clips.pt"), epochs=20)
