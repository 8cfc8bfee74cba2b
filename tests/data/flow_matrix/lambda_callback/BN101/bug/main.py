import functools

import torch
import torch.nn.functional as F

from hooks import Hooks
from nets import Net


def log_predictions(model, images, epoch):
    with torch.no_grad():
        print(epoch, model(images).argmax(1).tolist())


model, hooks = Net(), Hooks()
hooks.add(functools.partial(log_predictions, model, torch.load("probe_images.pt")))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.train()
    for images, labels in torch.load("train_loader.pt"):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    hooks.fire(epoch)
