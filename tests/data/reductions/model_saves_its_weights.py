import numpy as np
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)

    def save_weights(self, path):
        np.concatenate([t.detach().numpy().ravel() for t in self.state_dict().values()]).tofile(path)


if __name__ == "__main__":
    model = Net()
    model.save_weights("net.weights")
    for batch in [torch.randn(5, 3, 32, 32)]:
        pred = model(batch)
        print(pred)
