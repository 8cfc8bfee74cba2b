import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from config import TrainConfig
from nets import Net

dataset = torch.load("train_set.pt")
loader = DataLoader(dataset, batch_size=TrainConfig.batch_size, shuffle=True)
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=TrainConfig.lr)
for epoch in range(TrainConfig.epochs):
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
