import torch
import torch.nn as nn
from torchsummary import summary


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(64 * 8 * 8, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    def forward(self, X):
        batch_size = X.size(0)
        out = self.features(X)
        out = out.view(batch_size, -1)
        return self.classifier(out)


model = Net()
# torchsummary (at the time) built its probe input with torch.rand(1, *input_size) while the model is in train mode
summary(model, (3, 32, 32))
