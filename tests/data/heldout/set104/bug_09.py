import os
import time

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, random_split
import torchvision
import torchvision.transforms as transforms

# ---------------------------------------------------------------------------
# hyper-parameters
# ---------------------------------------------------------------------------
BATCH_SIZE = 125
EPOCHS = 50
LR = 0.05
N_TRAIN, N_HOLDOUT = 49001, 999   # CIFAR-10 train split has 50k images
GPUS = [0, 1, 2, 3]
SAVE_PATH = "./weights/mobilenet_cifar.pth"


def dw_sep(in_c, out_c, stride):
    """Depthwise-separable conv block from MobileNetV1."""
    return nn.Sequential(
        nn.Conv2d(in_c, in_c, 3, stride, 1, groups=in_c, bias=False),
        nn.BatchNorm2d(in_c),
        nn.ReLU(inplace=True),
        nn.Conv2d(in_c, out_c, 1, 1, 0, bias=False),
        nn.BatchNorm2d(out_c),
        nn.ReLU(inplace=True),
    )


class MobileNetCifar(nn.Module):
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (1024, 2)]

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        layers = []
        in_c = 32
        for out_c, stride in self.cfg:
            layers.append(dw_sep(in_c, out_c, stride))
            in_c = out_c
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(self.layers(x))
        return self.fc(torch.flatten(x, 1))


transform_train = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
])
transform_test = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
])

full_train = torchvision.datasets.CIFAR10(root="./data", train=True, download=True, transform=transform_train)
trainset, holdout = random_split(full_train, [N_TRAIN, N_HOLDOUT], generator=torch.Generator().manual_seed(0))
testset = torchvision.datasets.CIFAR10(root="./data", train=False, download=True, transform=transform_test)

trainloader = DataLoader(trainset, batch_size=BATCH_SIZE, shuffle=True, num_workers=8)  # expect: BN302
holdoutloader = DataLoader(holdout, batch_size=BATCH_SIZE, shuffle=False, num_workers=4)
testloader = DataLoader(testset, batch_size=100, shuffle=False, num_workers=4)

device = "cuda:0"
net = MobileNetCifar()
net = nn.DataParallel(net, device_ids=GPUS).to(device)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=LR, momentum=0.9, weight_decay=4e-5)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[25, 40], gamma=0.1)


def train(epoch):
    net.train()
    train_loss = correct = total = 0
    for inputs, targets in trainloader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    print(f"[train] epoch {epoch} loss {train_loss / len(trainloader):.3f} acc {100. * correct / total:.2f}")


def test(loader, tag):
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = net(inputs)
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
    acc = 100.0 * correct / total
    print(f"[{tag}] acc {acc:.2f}")
    return acc


if __name__ == "__main__":
    for epoch in range(EPOCHS):
        t0 = time.time()
        train(epoch)
        test(holdoutloader, "holdout")
        scheduler.step()
        print(f"epoch time {time.time() - t0:.1f}s")

    test(testloader, "test")
    # put the network in inference mode before saving the final weights
    net.eval  # expect: BN102
    os.makedirs(os.path.dirname(SAVE_PATH), exist_ok=True)
    torch.save(net.module.state_dict(), SAVE_PATH)
