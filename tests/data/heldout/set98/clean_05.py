"""Fine-tuning the Caffe "ResNet-lite" surface-inspection model in PyTorch.

In the Caffe fine-tuning prototxt every BatchNorm layer had
`use_global_stats: true` (statistics frozen) and `lr_mult: 0` on the Scale
layers. The equivalent here: BN layers kept in eval mode even when the model
is put in training mode, and their affine parameters frozen.
Caffe's moving_average_fraction is the weight of the *old* average, so
PyTorch momentum = 1 - moving_average_fraction.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

MOVING_AVERAGE_FRACTION = 0.999
SOLVER = {"base_lr": 0.001, "momentum": 0.9, "weight_decay": 5e-4,
          "max_iter": 20000, "test_interval": 1000, "batch_size": 32}


def bn_scale(channels):
    return nn.BatchNorm2d(channels, eps=1e-5, momentum=1 - MOVING_AVERAGE_FRACTION)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.branch2a = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)   # bias_term: false
        self.bn2a = bn_scale(out_ch)
        self.branch2b = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2b = bn_scale(out_ch)
        self.branch1 = None
        if stride != 1 or in_ch != out_ch:
            self.branch1 = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), bn_scale(out_ch))

    def forward(self, x):
        shortcut = x if self.branch1 is None else self.branch1(x)
        y = F.relu(self.bn2a(self.branch2a(x)))
        return F.relu(self.bn2b(self.branch2b(y)) + shortcut)


class InspectionNet(nn.Module):
    def __init__(self, num_output=5, freeze_bn=True):
        super().__init__()
        self.freeze_bn = freeze_bn
        self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.bn_conv1 = bn_scale(64)
        self.res2a = ResBlock(64, 64, 1)
        self.res3a = ResBlock(64, 128, 2)
        self.res4a = ResBlock(128, 256, 2)
        self.res5a = ResBlock(256, 512, 2)
        self.fc_new = nn.Linear(512, num_output)   # renamed so Caffe weights are not loaded into it
        if freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()          # use_global_stats: true
        return self

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn_conv1(self.conv1(x))), 3, 2, 1)
        x = self.res5a(self.res4a(self.res3a(self.res2a(x))))
        return self.fc_new(F.adaptive_avg_pool2d(x, 1).flatten(1))


def test_net(model, loader, device):
    model.eval()
    hits = total = 0
    with torch.no_grad():
        for images, labels in loader:
            hits += (model(images.to(device)).argmax(1).cpu() == labels).sum().item()
            total += labels.numel()
    return hits / total


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.Grayscale(), transforms.Resize(256), transforms.CenterCrop(224),
                             transforms.ToTensor(), transforms.Normalize([0.5], [0.25])])
    train_loader = DataLoader(datasets.ImageFolder("surface/train", tf), batch_size=SOLVER["batch_size"],
                              shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(datasets.ImageFolder("surface/val", tf), batch_size=50)

    model = InspectionNet().to(device)
    state = torch.load("resnet_lite_caffe_converted.pth", map_location=device)
    model.load_state_dict(state, strict=False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=SOLVER["base_lr"], momentum=SOLVER["momentum"],
                                weight_decay=SOLVER["weight_decay"])

    model.train()
    it = 0
    while it < SOLVER["max_iter"]:
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            it += 1
            if it % SOLVER["test_interval"] == 0:
                print(f"Iteration {it}, accuracy = {test_net(model, val_loader, device):.4f}")
                model.train()
            if it >= SOLVER["max_iter"]:
                break

    model.eval()
    dummy = torch.randn(1, 1, 224, 224, device=device)
    torch.onnx.export(model, dummy, "inspection_net.onnx", opset_version=13,
                      input_names=["data"], output_names=["prob"])


if __name__ == "__main__":
    main()
