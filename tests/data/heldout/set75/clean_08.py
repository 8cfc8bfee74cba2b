# week 9 assignment: train -> fuse conv+bn -> torchscript + onnx
# dataset: SVHN (street view house numbers)
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

device = "cpu"  # export on cpu anyway

train_set = datasets.SVHN("svhn", split="train", download=True, transform=transforms.ToTensor())
test_set = datasets.SVHN("svhn", split="test", download=True, transform=transforms.ToTensor())
train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=2)
test_loader = DataLoader(test_set, batch_size=256)


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


model = DigitNet()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
crit = nn.CrossEntropyLoss()

for epoch in range(3):
    model.train()
    for k, (x, y) in enumerate(train_loader):
        loss = crit(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if k % 100 == 0:
            print(epoch, k, loss.item())


def test_accuracy(net):
    right = 0
    with torch.no_grad():
        for x, y in test_loader:
            right += (net(x).argmax(1) == y).sum().item()
    return right / len(test_set)


# ---- export ----
model.train(mode=False)
print("acc before fuse", test_accuracy(model))

fused = torch.ao.quantization.fuse_modules(
    model, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]])
fused.eval()  # just in case
print(fused)
print("acc after fuse", test_accuracy(fused))

example = torch.rand(1, 3, 32, 32)
scripted = torch.jit.trace(fused, example)
scripted.save("digitnet_fused.pt")

torch.onnx.export(model, example, "digitnet.onnx", opset_version=13)

# sanity check that the traced one gives the same answer
with torch.no_grad():
    a = model(example)
    b = scripted(example)
print("max diff", (a - b).abs().max().item())
