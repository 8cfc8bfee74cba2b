import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x):
        return self.bn(self.conv(x))

    def inference(self, x):
        return self.forward(x)


class Evaluator(object):
    def __init__(self, encoder):
        self.encoder = encoder

    def predict(self, x):
        self.encoder.eval()
        return self.encoder.inference(x)


def get_evaluator(path):
    encoder = Net()
    encoder.load_state_dict(torch.load(path))
    return Evaluator(encoder)


if __name__ == "__main__":
    ev = get_evaluator("p.pt")
    ev.predict(torch.randn(1, 3, 20))
