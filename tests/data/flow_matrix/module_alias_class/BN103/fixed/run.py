import torch
import torch.nn as nn

import trainer.trainer as t

train_iterator = torch.utils.data.DataLoader(range(640), batch_size=64)
model = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.Flatten(), nn.LazyLinear(10))
optimizer = torch.optim.SGD(model.parameters(), 0.1)
my_trainer = t.Trainer(train_iterator, model, optimizer)

for epoch in range(60):
    my_trainer.train()
    if epoch % 2 == 0:
        print("accuracy", my_trainer.evaluate(train_iterator))
