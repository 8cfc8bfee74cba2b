import torch
import torch.nn.functional as F

from data import DataModule
from nets import Net

dm = DataModule()
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(30):
    model.train()
    for images, labels in dm.train_dataloader():
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
