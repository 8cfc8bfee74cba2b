# Post-training static quantisation (eager mode) of a small keyword-spotting CNN.
import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, QuantStub, convert, fuse_modules,
                                   get_default_qconfig, prepare)
from torch.nn.utils.fusion import fuse_conv_bn_eval


class KWSNet(nn.Module):
    def __init__(self, n_classes=12):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(1, 64, (10, 4), stride=(2, 2), bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, n_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(self.pool(x).flatten(1))
        return self.dequant(x)


FUSE_GROUPS = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]]


def quantize(float_model, calib_loader, n_calib_batches=32):
    float_model.eval()
    fused = fuse_modules(float_model, FUSE_GROUPS, inplace=False)
    fused.qconfig = get_default_qconfig("x86")
    prepared = prepare(fused, inplace=False)
    with torch.no_grad():
        for i, (mfcc, _) in enumerate(calib_loader):
            prepared(mfcc)
            if i + 1 >= n_calib_batches:
                break
    return convert(prepared, inplace=False)


def fold_first_layer(model):
    """Used by the FPGA exporter, which only wants the folded first conv."""
    model.eval()
    return fuse_conv_bn_eval(model.conv1, model.bn1)


@torch.no_grad()
def compare(float_model, q_model, loader):
    float_model.eval()
    q_model.eval()
    agree = total = 0
    for mfcc, _ in loader:
        a = float_model(mfcc).argmax(1)
        b = q_model(mfcc).argmax(1)
        agree += (a == b).sum().item()
        total += a.numel()
    return agree / total


if __name__ == "__main__":
    import sys
    from torch.utils.data import DataLoader, TensorDataset

    model = KWSNet()
    model.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
    feats = torch.load(sys.argv[2])              # dict with "x": (N, 1, 49, 10) MFCCs, "y": labels
    loader = DataLoader(TensorDataset(feats["x"], feats["y"]), batch_size=100)
    qmodel = quantize(model, loader)
    print("top-1 agreement float vs int8:", compare(model, qmodel, loader))
    torch.jit.save(torch.jit.script(qmodel), "kws_int8.pt")
    torch.save(fold_first_layer(model).state_dict(), "conv1_folded.pt")
