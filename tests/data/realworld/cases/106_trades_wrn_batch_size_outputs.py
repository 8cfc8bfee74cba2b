import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        return self.conv2(F.relu(self.bn2(out)))


class WideResNet(nn.Module):
    def __init__(self, num_classes=10, width=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.block1 = BasicBlock(16, 16 * width, 1)
        self.bn1 = nn.BatchNorm2d(16 * width)
        self.fc = nn.Linear(16 * width, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.block1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


device = torch.device("cuda")
model = WideResNet().to(device)
model.load_state_dict(torch.load("./checkpoints/model_cifar_wrn.pt"))

X_data = np.load("data_attack/cifar10_X.npy")
Y_data = np.load("data_attack/cifar10_Y.npy")
X_data = np.transpose(X_data, (0, 3, 1, 2))

for bs in [1, 2, 4, 5, 10, 50, 100]:
    predictions = []
    for i in range(0, 100, bs):
        logits = model(torch.from_numpy(np.array(X_data[i:i + bs], dtype=np.float32)).to(device)).cpu().detach().numpy()
        predictions.extend(np.argmax(logits, axis=1))
    print("mean accuracy with batch size %d: %f" % (bs, np.mean(predictions == Y_data[:100])))
