import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x)


def unwrap(model):
    return model.module if isinstance(model, nn.DataParallel) else model


class Frozen(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.net = unwrap(model)
        model.eval()


class Predictor:
    def __init__(self, test_loader):
        self.model = Net()
        self.frozen = Frozen(self.model)
        self.test_loader = test_loader

    @torch.no_grad()
    def predict(self):
        for images, names in self.test_loader:
            preds = self.model(images)
            torch.save(preds.max(dim=1)[1], names[0])
