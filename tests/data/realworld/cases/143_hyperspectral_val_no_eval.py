import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class SharmaEtAl(nn.Module):
    def __init__(self, input_channels, n_classes, patch_size=64):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 96, (input_channels, 6, 6), stride=(1, 2, 2))
        self.conv1_bn = nn.BatchNorm3d(96)
        self.pool1 = nn.MaxPool3d((1, 2, 2))
        self.fc1 = nn.LazyLinear(1024)
        self.dropout = nn.Dropout(p=0.5)
        self.fc2 = nn.Linear(1024, n_classes)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1_bn(self.conv1(x))))
        x = self.dropout(torch.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)


def val(net, data_loader, device="cpu", supervision="full"):
    accuracy, total = 0.0, 0.0
    ignored_labels = data_loader.dataset.ignored_labels
    for batch_idx, (data, target) in enumerate(data_loader):
        with torch.no_grad():
            data, target = data.to(device), target.to(device)
            if supervision == "full":
                output = net(data)
            elif supervision == "semi":
                outs = net(data)
                output, rec = outs
            _, output = torch.max(output, dim=1)
            for pred, out in zip(output.view(-1), target.view(-1)):
                if out.item() in ignored_labels:
                    continue
                accuracy += out.item() == pred.item()
                total += 1
    return accuracy / total


def train(net, optimizer, criterion, data_loader, epoch, device="cpu", val_loader=None):
    for e in range(1, epoch + 1):
        net.train()
        for batch_idx, (data, target) in enumerate(data_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = criterion(net(data), target)
            loss.backward()
            optimizer.step()
        if val_loader is not None:
            val_acc = val(net, val_loader, device=device)
            print("epoch {} val acc {:.3f}".format(e, val_acc))


if __name__ == "__main__":
    model = SharmaEtAl(103, 9)
    train(model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), np.load("train.npy", allow_pickle=True),
          100, val_loader=np.load("val.npy", allow_pickle=True))
