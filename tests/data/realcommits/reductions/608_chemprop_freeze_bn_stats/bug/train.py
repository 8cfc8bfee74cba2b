import torch
import torch.nn as nn


class MPNN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.enc = nn.Linear(8, width, bias=False)
        self.bn = nn.BatchNorm1d(width)
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        return self.head(self.bn(self.enc(x)))

    @classmethod
    def load_from_file(cls, path):
        d = torch.load(path)
        model = cls(**d["hyper_parameters"])
        model.load_state_dict(d["state_dict"])
        return model


def finetune(path, loader):
    model = MPNN.load_from_file(path)
    model.bn.apply(lambda module: module.requires_grad_(False))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
    model.train()
    for x, y in loader:
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
