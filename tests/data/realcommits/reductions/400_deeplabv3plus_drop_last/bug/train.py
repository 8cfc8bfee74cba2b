import torch
import torchvision
from torch.utils import data
from modeling import build

model = build(3, 8)
train_dst = torchvision.datasets.ImageFolder("data")
train_loader = data.DataLoader(train_dst, batch_size=16, shuffle=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for images, labels in train_loader:
    optimizer.zero_grad()
    loss = model(images).mean()
    loss.backward()
    optimizer.step()
