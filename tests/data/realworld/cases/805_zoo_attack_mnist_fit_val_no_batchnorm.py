import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import transforms, datasets


class MNIST(nn.Module):
    def __init__(self):
        super(MNIST, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 32, 3, 1)
        self.conv3 = nn.Conv2d(32, 64, 3, 1)
        self.conv4 = nn.Conv2d(64, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(1024, 200)
        self.fc2 = nn.Linear(200, 200)
        self.fc3 = nn.Linear(200, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout1(x)
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def fit(model, device, train_loader, val_loader, optimizer, criterion, epochs):
    data_loader = {'train': train_loader, 'val': val_loader}
    train_loss, val_loss = [], []
    for epoch in range(epochs):
        loss_per_epoch, val_loss_per_epoch = 0, 0
        acc_per_epoch, val_acc_per_epoch, total, val_total = 0, 0, 0, 0
        for phase in ('train', 'val'):
            for i, data in enumerate(data_loader[phase]):
                inputs, labels = data[0].to(device), data[1].to(device)
                outputs = model(inputs)
                preds = torch.max(outputs, 1)[1]
                loss = criterion(outputs, labels)
                if phase == 'train':
                    acc_per_epoch += (labels == preds).sum().item()
                    total += labels.size(0)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    loss_per_epoch += loss.item()
                else:
                    val_acc_per_epoch += (labels == preds).sum().item()
                    val_total += labels.size(0)
                    val_loss_per_epoch += loss.item()
        train_loss.append(loss_per_epoch / len(train_loader))
        val_loss.append(val_loss_per_epoch / len(val_loader))
    return train_loss, val_loss


if __name__ == '__main__':
    np.random.seed(42)
    torch.manual_seed(42)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (1.0,))])
    dataset = datasets.MNIST(root='./data', train=True, transform=transform, download=True)
    train_set, val_set = torch.utils.data.random_split(dataset, [55000, 5000])
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=128, shuffle=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = MNIST().to(device)
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    criterion = nn.CrossEntropyLoss()
    fit(model, device, train_loader, val_loader, optimizer, criterion, 50)
    torch.save(model.state_dict(), './models/mnist_model.pt')
