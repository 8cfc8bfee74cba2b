# Modelled on: https://github.com/pgniewko/gt-pyg/issues/112 ("freeze() BatchNorm eval mode is reset by the next
# model.train()": freeze() sets requires_grad=False and puts the encoder's BatchNorm in eval mode once, and the
# model.train() at the top of every epoch puts it back in training mode).
# Bug: BN105 (frozen BatchNorm still updating).
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class GraphTransformer(nn.Module):
    def __init__(self, in_dim=16, hidden=32, out_dim=1):
        super().__init__()
        self.encoder = nn.ModuleList([nn.Sequential(nn.Linear(in_dim if i == 0 else hidden, hidden),
                                                    nn.BatchNorm1d(hidden), nn.ReLU()) for i in range(3)])
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))

    def forward(self, x):
        for layer in self.encoder:
            x = layer(x)
        return self.head(x)

    def _set_requires_grad(self, modules, requires_grad):
        for module in modules:
            for param in module.parameters():
                param.requires_grad = requires_grad
            for m in module.modules():
                if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    if requires_grad:
                        m.train()
                    else:
                        m.eval()

    def freeze(self):
        self._set_requires_grad(list(self.encoder), False)


args = parse()
model = GraphTransformer()
model.freeze()
optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
loader = DataLoader(TensorDataset(torch.randn(256, 16), torch.randn(256, 1)), batch_size=32, shuffle=True)
step = 0
with Clock():
    for epoch in range(100):
        model.train()
        for x, y in loader:
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
        if step >= args.steps:
            break
