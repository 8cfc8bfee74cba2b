import torch.nn as nn
import torch.nn.functional as F
from utils import mini_batch_deep_features


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 20, 3, bias=False)
        self.bn = nn.BatchNorm2d(20)
        self.fc = nn.Linear(20, 10)

    def features(self, x):
        return F.relu(self.bn(self.conv(x))).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def train_learner(model, loader, buffer_x, opt):
    model.train()
    for x, y in loader:
        feats = mini_batch_deep_features(model, buffer_x, buffer_x.size(0))
        buffer_x = buffer_x[feats.norm(dim=1).argsort()]
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
