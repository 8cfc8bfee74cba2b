"""Static int8 quantization (eager mode) of a fine-tuned torchvision quantizable MobileNetV2-like net.

We keep our own small copy of the architecture so the fusion groups are explicit.
"""
import copy
import sys

import torch
import torch.nn as nn
import torch.ao.quantization as tq
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

BACKEND = "qnnpack" if sys.platform == "darwin" else "x86"
CALIB_BATCHES = 32


def conv_bn(cin, cout, k=3, s=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=False),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            conv_bn(cin, hidden, k=1),
            conv_bn(hidden, hidden, k=3, s=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = nn.quantized.FloatFunctional()

    def forward(self, x):
        out = self.block(x)
        return self.skip.add(x, out) if self.use_res else out


class SmallMobileNet(nn.Module):
    # (expand, out, stride)
    SETTINGS = [(1, 16, 1), (6, 24, 2), (6, 24, 1), (6, 32, 2), (6, 32, 1), (6, 64, 2), (6, 96, 1)]

    def __init__(self, num_classes=10):
        super().__init__()
        layers = [conv_bn(3, 32, s=2)]
        cin = 32
        for t, c, s in self.SETTINGS:
            layers.append(InvertedResidual(cin, c, s, t))
            cin = c
        layers.append(conv_bn(cin, 320, k=1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(320, num_classes)
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()

    def forward(self, x):
        x = self.features(self.quant(x))
        return self.dequant(self.fc(torch.flatten(self.pool(x), 1)))

    def fuse_model(self):
        for m in self.modules():
            if isinstance(m, nn.Sequential) and len(m) == 3 and isinstance(m[0], nn.Conv2d):
                tq.fuse_modules(m, ["0", "1", "2"], inplace=True)
            elif isinstance(m, InvertedResidual):
                tq.fuse_modules(m.block, ["2", "3"], inplace=True)


def evaluate(model, loader, limit=None):
    model.eval()
    hit = seen = 0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            if limit is not None and i >= limit:
                break
            hit += (model(x).argmax(1) == y).sum().item()
            seen += len(y)
    return hit / seen


def main(fp32_path="weights/smallmnv2_stl10.pth"):
    tf = transforms.Compose([transforms.Resize(96), transforms.ToTensor(),
                             transforms.Normalize((0.44, 0.43, 0.40), (0.26, 0.26, 0.27))])
    calib = DataLoader(datasets.STL10("data", split="train", transform=tf, download=True), batch_size=32, shuffle=True)
    test = DataLoader(datasets.STL10("data", split="test", transform=tf, download=True), batch_size=128)

    float_model = SmallMobileNet(num_classes=10)
    float_model.load_state_dict(torch.load(fp32_path, map_location="cpu"))
    float_model.train(False)
    print("fp32 acc:", evaluate(float_model, test))

    qmodel = copy.deepcopy(float_model)
    qmodel.train(False)
    qmodel.fuse_model()
    torch.backends.quantized.engine = BACKEND
    qmodel.qconfig = tq.get_default_qconfig(BACKEND)
    tq.prepare(qmodel, inplace=True)

    with torch.inference_mode():
        for i, (x, _) in enumerate(calib):
            if i >= CALIB_BATCHES:
                break
            qmodel(x)

    tq.convert(qmodel, inplace=True)
    print("int8 acc:", evaluate(qmodel, test))
    torch.jit.save(torch.jit.script(qmodel), "weights/smallmnv2_stl10_int8.pt")


if __name__ == "__main__":
    main()
