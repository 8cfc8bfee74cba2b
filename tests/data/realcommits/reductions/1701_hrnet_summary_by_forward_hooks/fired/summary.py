import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def get_model_summary(model, *input_tensors):
    summary, hooks = [], []

    def add_hooks(module):
        def hook(module, input, output):
            summary.append((type(module).__name__, list(output.size())))

        if module is not model:
            hooks.append(module.register_forward_hook(hook))

    model.apply(add_hooks)
    with torch.no_grad():
        model(*input_tensors)
    for hook in hooks:
        hook.remove()
    return summary


def main(loader, opt):
    model = Net()
    print(get_model_summary(model, torch.rand(1, 3, 256, 192)))
    model.train()
    for x, y in loader:
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
