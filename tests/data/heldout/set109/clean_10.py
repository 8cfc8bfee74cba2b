# Eager-mode quantization: QAT int8 model is less accurate than the PTQ one on
# this toy net (torch 2.2, fbgemm). Repro with random data.
import copy

import torch
import torch.ao.quantization as tq
import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.bn(self.conv(x)))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)


torch.manual_seed(0)
float_model = M()

# QAT: fusion for QAT is done on a model in training mode
qat_model = copy.deepcopy(float_model).train()
qat_model = tq.fuse_modules_qat(qat_model, [["conv", "bn", "relu"]])
qat_model.qconfig = tq.get_default_qat_qconfig("fbgemm")
tq.prepare_qat(qat_model, inplace=True)
opt = torch.optim.SGD(qat_model.parameters(), lr=0.01)
for _ in range(10):
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    loss = nn.functional.cross_entropy(qat_model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
qat_model.eval()
qat_int8 = tq.convert(qat_model)

# PTQ: eval-mode fusion, calibration, conversion
ptq_model = copy.deepcopy(float_model).eval()
ptq_model = tq.fuse_modules(ptq_model, [["conv", "bn", "relu"]])
ptq_model.qconfig = tq.get_default_qconfig("fbgemm")
tq.prepare(ptq_model, inplace=True)
with torch.no_grad():
    for _ in range(8):
        ptq_model(torch.randn(32, 3, 32, 32))
ptq_int8 = tq.convert(ptq_model)

float_model.eval()
x = torch.randn(4, 3, 32, 32)
with torch.no_grad():
    ref = float_model(x)
    print("QAT err:", (qat_int8(x) - ref).abs().max().item())
    print("PTQ err:", (ptq_int8(x) - ref).abs().max().item())
