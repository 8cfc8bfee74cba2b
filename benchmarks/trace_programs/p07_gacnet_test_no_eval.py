# Modelled on: https://github.com/yanx27/GACNet/issues/8 ("Why is model.eval not used in the test part of the
# code": a point-cloud classifier full of BatchNorm1d/2d, tested after each epoch without model.eval()).
# Bug: BN101.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class PointNetCls(nn.Module):
    def __init__(self, k=10):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 32, 1)
        self.conv2 = nn.Conv1d(32, 64, 1)
        self.bn1 = nn.BatchNorm1d(32)
        self.bn2 = nn.BatchNorm1d(64)
        self.fc1 = nn.Linear(64, 32)
        self.bn3 = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, k)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = torch.max(x, 2)[0]
        x = torch.relu(self.bn3(self.fc1(x)))
        return self.fc2(x)


def test(model, loader):
    mean_correct = []
    for points, target in loader:
        with torch.no_grad():
            pred = model(points.transpose(2, 1))
        pred_choice = pred.data.max(1)[1]
        mean_correct.append(pred_choice.eq(target.long().data).cpu().sum().item() / float(points.size()[0]))
    return sum(mean_correct) / len(mean_correct)


def main(args):
    train_set = TensorDataset(torch.randn(128, 64, 3), torch.randint(0, 10, (128,)))
    test_set = TensorDataset(torch.randn(48, 64, 3), torch.randint(0, 10, (48,)))
    train_loader = DataLoader(train_set, batch_size=16, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=16)
    classifier = PointNetCls()
    optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
    global_step = 0
    for epoch in range(100):
        for points, target in train_loader:
            classifier = classifier.train()
            pred = classifier(points.transpose(2, 1))
            loss = nn.functional.cross_entropy(pred, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            global_step += 1
            if global_step >= args.steps:
                return
        acc = test(classifier, test_loader)


if __name__ == "__main__":
    args = parse()
    with Clock():
        main(args)
