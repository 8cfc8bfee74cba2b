# CS231n Assignment 2 -- PyTorch.ipynb, Part III (Module API) and Part V
# (open-ended CIFAR-10 challenge). Exported from the notebook.
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader
from torch.utils.data import sampler
import torch.nn.functional as F

import torchvision.datasets as dset
import torchvision.transforms as T

NUM_TRAIN = 49000

transform = T.Compose([
    T.ToTensor(),
    T.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
])

cifar10_train = dset.CIFAR10('./cs231n/datasets', train=True, download=True, transform=transform)
loader_train = DataLoader(cifar10_train, batch_size=64, sampler=sampler.SubsetRandomSampler(range(NUM_TRAIN)))

cifar10_val = dset.CIFAR10('./cs231n/datasets', train=True, download=True, transform=transform)
loader_val = DataLoader(cifar10_val, batch_size=64, sampler=sampler.SubsetRandomSampler(range(NUM_TRAIN, 50000)))

cifar10_test = dset.CIFAR10('./cs231n/datasets', train=False, download=True, transform=transform)
loader_test = DataLoader(cifar10_test, batch_size=64)

USE_GPU = True
dtype = torch.float32
device = torch.device('cuda') if USE_GPU and torch.cuda.is_available() else torch.device('cpu')
print_every = 100


def flatten(x):
    N = x.shape[0]
    return x.view(N, -1)


class Flatten(nn.Module):
    def forward(self, x):
        return flatten(x)


class ThreeLayerConvNet(nn.Module):
    """conv - [spatial batchnorm] - relu - conv - [spatial batchnorm] - relu - fc"""

    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size=5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(channel_1)
        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channel_2)
        self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
        nn.init.kaiming_normal_(self.conv1.weight)
        nn.init.kaiming_normal_(self.conv2.weight)
        nn.init.kaiming_normal_(self.fc.weight)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(flatten(x))


def check_accuracy_part34(loader, model):
    if loader.dataset.train:
        print('Checking accuracy on validation set')
    else:
        print('Checking accuracy on test set')
    num_correct = 0
    num_samples = 0
    model.eval()  # set model to evaluation mode
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
        print('Got %d / %d correct (%.2f)' % (num_correct, num_samples, 100 * acc))
    return acc


def train_part34(model, optimizer, epochs=1):
    model = model.to(device=device)
    for e in range(epochs):
        for t, (x, y) in enumerate(loader_train):
            model.train()  # put model to training mode
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)

            scores = model(x)
            loss = F.cross_entropy(scores, y)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            if t % print_every == 0:
                print('Iteration %d, loss = %.4f' % (t, loss.item()))
                check_accuracy_part34(loader_val, model)
                print()


# ---------------------------------------------------------------- Part III
learning_rate = 3e-3
channel_1 = 12
channel_2 = 8
model = ThreeLayerConvNet(in_channel=3, channel_1=channel_1, channel_2=channel_2, num_classes=10)
optimizer = optim.SGD(model.parameters(), lr=learning_rate)
train_part34(model, optimizer)

# ---------------------------------------------------------------- Part V
# [conv-bn-relu] x2 - pool - [conv-bn-relu] x2 - pool - affine-bn-relu - affine
def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
            nn.ReLU(inplace=True)]


hidden = 512
model = nn.Sequential(
    *conv_bn_relu(3, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
    *conv_bn_relu(64, 128), *conv_bn_relu(128, 128), nn.MaxPool2d(2),
    Flatten(),
    nn.Linear(128 * 8 * 8, hidden, bias=False),
    nn.BatchNorm1d(hidden),
    nn.ReLU(inplace=True),
    nn.Dropout(0.5),
    nn.Linear(hidden, 10),
)
optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-4)
train_part34(model, optimizer, epochs=10)

best_model = model
check_accuracy_part34(loader_test, best_model)
