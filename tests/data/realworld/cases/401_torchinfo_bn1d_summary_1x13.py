import torch.nn as nn
import torch.nn.functional as F
from torchinfo import summary


class BinaryClassifier(nn.Module):
    def __init__(self):
        super(BinaryClassifier, self).__init__()

        self.fc1 = nn.Linear(13, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 1)

        self.dropout = nn.Dropout(p=0.2)
        self.bn1 = nn.BatchNorm1d(32)
        self.bn2 = nn.BatchNorm1d(32)

    def forward(self, input):
        x = F.relu(self.fc1(input))
        x = self.bn1(x)
        x = F.relu(self.fc2(x))
        x = self.bn2(x)
        x = self.dropout(x)
        x = self.fc3(x)
        return x


model = BinaryClassifier()
summary(model, [(1, 13)])
