import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import convert, fuse_modules_qat, get_default_qat_qconfig, prepare_qat
from torch.ao.quantization import DeQuantStub, QuantStub


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=False),
        )


class DigitNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.features = nn.Sequential(
            ConvBNReLU(1, 16),
            ConvBNReLU(16, 32, stride=2),
            ConvBNReLU(32, 64, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, n_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.features(x)).flatten(1)
        return self.dequant(self.fc(x))

    def fuse_names(self):
        return [[f"features.{i}.0", f"features.{i}.1", f"features.{i}.2"] for i in range(len(self.features))]


def qat_finetune(model, steps=200, batch=64):
    model.train()
    fuse_modules_qat(model, model.fuse_names(), inplace=True)
    model.qconfig = get_default_qat_qconfig("fbgemm")
    prepare_qat(model, inplace=True)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    for step in range(steps):
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == steps // 2:
            model.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats)
    return model


def to_int8(model):
    model.eval()
    return convert(model, inplace=False)


def classify_stream(qmodel, frames):
    out = []
    with torch.inference_mode():
        for frame in frames:
            out.append(qmodel(frame.unsqueeze(0)).argmax(-1).item())
    return out


def main():
    model = DigitNet()
    model = qat_finetune(model)
    qmodel = to_int8(model)
    frames = torch.randn(5, 1, 28, 28)
    print(classify_stream(qmodel, frames))


if __name__ == "__main__":
    main()
