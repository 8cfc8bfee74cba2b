import torch
from detector import Detector


def fit(loader):
    det = Detector()
    det.train()
    opt = torch.optim.SGD(det.parameters(), lr=0.1)
    for x in loader:
        loss = det(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
