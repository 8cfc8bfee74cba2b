"""Defect classifier, hand-translated from a Caffe deploy/train prototxt pair.

Each Caffe "BatchNorm" + "Scale" pair becomes one nn.BatchNorm2d (the Scale
layer is the affine part). Solver settings (base_lr, test_interval, max_iter)
are kept so the learning curves can be compared with the old Caffe logs.
Output goes to ONNX for the TensorRT line-inspection box.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# batch_norm_param { moving_average_fraction: 0.999  eps: 1e-5 }
MOVING_AVERAGE_FRACTION = 0.999
BN_EPS = 1e-5

SOLVER = {
    "base_lr": 0.01,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "max_iter": 60000,
    "test_interval": 2000,
    "stepsize": 20000,
    "gamma": 0.1,
    "batch_size": 32,
}


def bn_scale(channels):
    # "BatchNorm" layer followed by "Scale { bias_term: true }"
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=MOVING_AVERAGE_FRACTION)  # expect: BN205


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        # convolution_param { bias_term: false }
        self.branch2a = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn2a = bn_scale(out_ch)
        self.branch2b = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2b = bn_scale(out_ch)
        self.branch1 = None
        if stride != 1 or in_ch != out_ch:
            self.branch1 = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), bn_scale(out_ch))

    def forward(self, x):
        shortcut = x if self.branch1 is None else self.branch1(x)
        y = F.relu(self.bn2a(self.branch2a(x)))
        y = self.bn2b(self.branch2b(y))
        return F.relu(y + shortcut)


class DefectNet(nn.Module):
    def __init__(self, num_output=6):
        super().__init__()
        # layer { name: "conv1" type: "Convolution" convolution_param { num_output: 64 kernel_size: 7 stride: 2 pad: 3 } }
        self.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3)  # expect: BN204
        self.bn_conv1 = nn.BatchNorm2d(64, eps=BN_EPS, momentum=MOVING_AVERAGE_FRACTION)  # expect: BN205
        self.res2a = ResBlock(64, 64, 1)
        self.res3a = ResBlock(64, 128, 2)
        self.res4a = ResBlock(128, 256, 2)
        self.res5a = ResBlock(256, 512, 2)
        self.fc = nn.Linear(512, num_output)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn_conv1(self.conv1(x))), 3, 2, 1)
        x = self.res5a(self.res4a(self.res3a(self.res2a(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def test_net(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            pred = model(images.to(device)).argmax(1).cpu()
            correct += (pred == labels).sum().item()
            total += labels.numel()
    return correct / total


def infinite(loader):
    while True:
        for batch in loader:
            yield batch


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf_train = transforms.Compose([transforms.Grayscale(), transforms.RandomCrop(224),
                                   transforms.ToTensor(), transforms.Normalize([0.5], [0.25])])
    tf_test = transforms.Compose([transforms.Grayscale(), transforms.CenterCrop(224),
                                  transforms.ToTensor(), transforms.Normalize([0.5], [0.25])])
    train_loader = DataLoader(datasets.ImageFolder("lmdb_export/train", tf_train),
                              batch_size=SOLVER["batch_size"], shuffle=True, num_workers=6)
    val_loader = DataLoader(datasets.ImageFolder("lmdb_export/val", tf_test),
                            batch_size=50, shuffle=False)

    model = DefectNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=SOLVER["base_lr"],
                                momentum=SOLVER["momentum"], weight_decay=SOLVER["weight_decay"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, SOLVER["stepsize"], SOLVER["gamma"])

    model.train()
    batches = infinite(train_loader)
    for it in range(SOLVER["max_iter"]):
        images, labels = next(batches)
        loss = F.cross_entropy(model(images.to(device)), labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if (it + 1) % SOLVER["test_interval"] == 0:
            acc = test_net(model, val_loader, device)
            print(f"Iteration {it + 1}, Testing net: accuracy = {acc:.4f}")
            model.train()

    torch.save(model.state_dict(), "defectnet_iter_60000.pth")
    dummy = torch.randn(1, 1, 224, 224, device=device)
    torch.onnx.export(model, dummy, "defectnet.onnx", opset_version=13,  # expect: BN104
                      input_names=["data"], output_names=["prob"])


if __name__ == "__main__":
    main()
