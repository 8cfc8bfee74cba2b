import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class PairEvaluation:
    def __init__(self, model, pairs):
        self._model = model
        self._pairs = pairs

    def distances(self):
        distances = []
        for x0, x1 in self._pairs:
            d = self._model(torch.stack((x0, x1)))
            e0 = torch.cat((d[0], d[0]))
            e1 = torch.cat((d[1], d[1]))
            distances.append(torch.dist(e0, e1).item())
        return torch.tensor(distances)


def main():
    model = Net()
    model.load_state_dict(torch.load('ckpt.pt'))
    evaluation = PairEvaluation(model, torch.load('pairs.pt'))
    evaluation.distances()


if __name__ == '__main__':
    main()
