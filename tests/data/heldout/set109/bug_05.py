# TorchScript (trace) output does not match eager output, even after .eval()
# torch 2.2.1+cu121
import torch
import torch.nn as nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)  # expect: BN204
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class TinyNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(Block(3, 16), Block(16, 32), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


model = TinyNet()
example = torch.rand(8, 3, 64, 64)
traced = torch.jit.trace(model, example)  # expect: BN104
traced.save("tinynet_traced.pt")

model.eval()
loaded = torch.jit.load("tinynet_traced.pt")
loaded.eval()

x = torch.rand(1, 3, 64, 64)
with torch.no_grad():
    ref = model(x)
    out = loaded(x)

print(ref)
print(out)
print("allclose:", torch.allclose(ref, out, atol=1e-5))  # False
