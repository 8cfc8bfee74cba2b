# First CNN for the diffraction-spot project.
# Translated from my MATLAB script (trainNetwork + classify). The MATLAB layer
# array was:
#   imageInputLayer([64 64 1]) convolution2dLayer(3,16,'Padding','same')
#   batchNormalizationLayer reluLayer maxPooling2dLayer(2,'Stride',2) ...
# Data are simulated for now (Gaussian spots + Poisson noise), three classes:
# single spot, split spot, streak.  --  M.K., 2024

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)

n_train = 1025
n_test = 256
img_size = 64
n_classes = 3
mini_batch_size = 32
max_epochs = 30
initial_learn_rate = 0.01


def simulate_patterns(images, labels):
    """Fill (N,1,H,W) images in place: Poisson background + one pattern per label."""
    images.add_(torch.poisson(torch.full_like(images, 2.0)))
    yy, xx = torch.meshgrid(torch.arange(img_size), torch.arange(img_size), indexing="ij")
    for i in range(images.shape[0]):
        cx, cy = 20 + 24 * torch.rand(2)
        if labels[i] == 0:
            spot = torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 8.0)
        elif labels[i] == 1:
            spot = torch.exp(-((xx - cx - 3) ** 2 + (yy - cy) ** 2) / 6.0)
            spot = spot + torch.exp(-((xx - cx + 3) ** 2 + (yy - cy) ** 2) / 6.0)
        else:
            angle = math.pi * torch.rand(1).item()
            d = (xx - cx) * math.sin(angle) - (yy - cy) * math.cos(angle)
            spot = torch.exp(-d ** 2 / 4.0) * torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 200.0)
        images[i, 0] += 5.0 * spot


class SpotNet(nn.Module):
    def __init__(self):
        super().__init__()
        # convolution2dLayer(3,16,'Padding','same') / batchNormalizationLayer / reluLayer
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(16)  # expect: BN202
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        # fullyConnectedLayer(3) softmaxLayer classificationLayer
        self.fc = nn.Linear(64 * 8 * 8, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        return self.fc(torch.flatten(x, 1))


def test(model, loader):
    """Like classify() + confusionmat in MATLAB."""
    model.eval()
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x).argmax(dim=1)
            for t, p in zip(y, pred):
                confusion[t, p] += 1
    accuracy = confusion.diag().sum().item() / confusion.sum().item()
    return accuracy, confusion


# ---- data -------------------------------------------------------------
x_train = torch.zeros(n_train, 1, img_size, img_size)
y_train = torch.randint(0, n_classes, (n_train,))
simulate_patterns(x_train, y_train)
x_test = torch.zeros(n_test, 1, img_size, img_size)
y_test = torch.randint(0, n_classes, (n_test,))
simulate_patterns(x_test, y_test)

mu, sigma = x_train.mean(), x_train.std()
x_train.sub_(mu).div_(sigma)
x_test.sub_(mu).div_(sigma)

train_set = TensorDataset(x_train, y_train)
train_loader = DataLoader(train_set, batch_size=mini_batch_size, shuffle=True)  # expect: BN302
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=1)

# ---- training ('sgdm' options) ----------------------------------------
model = SpotNet()
optimizer = torch.optim.SGD(model.parameters(), lr=initial_learn_rate, momentum=0.9)
loss_function = nn.CrossEntropyLoss()

for epoch in range(1, max_epochs + 1):
    model.train()
    epoch_loss = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        optimizer.step()
        epoch_loss = epoch_loss + loss.item()
    print("Epoch %d of %d, loss %.4f" % (epoch, max_epochs, epoch_loss / len(train_loader)))

# ---- evaluation ---------------------------------------------------------
model.eval  # expect: BN102
acc, cm = test(model, test_loader)
print("Test accuracy: %.3f" % acc)
print(cm)
torch.save(model.state_dict(), "spotnet.pt")
