import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))

    def forward(self, x):
        return self.body(x)


class Arcface(nn.Module):
    def __init__(self, classnum):
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(8, classnum))

    def forward(self, embeddings, labels):
        return embeddings @ self.kernel


class Learner(object):
    def __init__(self, loader):
        self.model = Net().cuda()
        self.head = Arcface(10)
        self.head = self.head.cuda()
        self.loader = loader
        self.head.train()
        self.model.train()

    def calc_features(self):
        self.model.eval()
        feats = []
        for x, y in self.loader:
            with torch.no_grad():
                embeddings = self.model(x)
            thetas = self.head(embeddings, y)
            feats.append(thetas.cpu().numpy())
        return feats
