# %% [markdown]
# # ResNet-50-ish on CIFAR-10, then conv+BN fusion for faster CPU inference
#
# Course: "Efficient Deep Learning", lab 4. Train a bottleneck ResNet, then fuse
# conv/bn/relu with `torch.ao.quantization.fuse_modules` and compare latency.

# %%
import time
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import fuse_modules

device = "cuda" if torch.cuda.is_available() else "cpu"

# %%
stats = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(*stats)])
test_tf = T.Compose([T.ToTensor(), T.Normalize(*stats)])
trainset = torchvision.datasets.CIFAR10("./data", train=True, download=True, transform=train_tf)
testset = torchvision.datasets.CIFAR10("./data", train=False, download=True, transform=test_tf)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True, num_workers=4)
testloader = torch.utils.data.DataLoader(testset, batch_size=256, shuffle=False, num_workers=4)


# %%
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super(Bottleneck, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)  # expect: BN201

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super(ResNet, self).__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def ResNet50():
    return ResNet(Bottleneck, [3, 4, 6, 3])


# %%
net = ResNet50().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)


def train(epoch):
    net.train()
    train_loss, correct, total = 0, 0, 0
    for inputs, targets in trainloader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        correct += outputs.argmax(1).eq(targets).sum().item()
        total += targets.size(0)
    print(f"epoch {epoch}: loss {train_loss / len(trainloader):.3f} acc {100. * correct / total:.2f}")


def test(model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in testloader:
            inputs, targets = inputs.to(device), targets.to(device)
            correct += model(inputs).argmax(1).eq(targets).sum().item()
    return 100. * correct / len(testset)


# %%
for epoch in range(30):
    train(epoch)
    scheduler.step()
    if epoch % 5 == 4:
        print("test acc:", test(net))

# %% [markdown]
# The TA said to train 3 more epochs at a small LR before fusing.

# %%
for g in optimizer.param_groups:
    g["lr"] = 1e-3
for epoch in range(30, 33):
    train(epoch)

# %% [markdown]
# ## Fuse the stem conv + bn + relu and compare CPU latency

# %%
net = net.cpu()
fused = fuse_modules(net, [["conv1", "bn1", "relu"]], inplace=False)  # expect: BN104

net.eval()
fused.eval()
x = torch.randn(64, 3, 32, 32)
for name, m in [("original", net), ("fused", fused)]:
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(10):
            m(x)
    print(name, f"{(time.perf_counter() - t0) / 10 * 1000:.1f} ms/batch")
