import torch
from torch.utils.data import DataLoader
from detector import Detector


def main(dataset):
    model = Detector()
    model.train()
    loader = DataLoader(dataset, batch_size=1, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for images, targets in loader:
        loss = (model(images) - targets).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
