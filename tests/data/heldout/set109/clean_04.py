# torch.jit.trace / torch.jit.script / torch.export give slightly different
# outputs for the same conv-bn network in eval mode (torch 2.3).
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self, width=24):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width * 2)
        self.fc = nn.Linear(width * 2, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


model = Net()
# scripting keeps the `training` branch dynamic, so it is fine to do it here
scripted = torch.jit.script(model)

model.eval()
example = torch.randn(1, 3, 32, 32)
traced = torch.jit.trace(model, example)
exported = torch.export.export(model, (example,))
scripted.eval()

with torch.no_grad():
    ref = model(example)
    results = {
        "trace": traced(example),
        "script": scripted(example),
        "export": exported.module()(example),
    }

for name, out in results.items():
    print(f"{name:>6}: max abs diff {(out - ref).abs().max().item():.3e}")
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
