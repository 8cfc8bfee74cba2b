import torch
import torch.nn as nn

from engine import evaluate, train_one_epoch


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x, targets=None):
        return self.bn(self.conv(x)).mean()


def main(args, train_loader, val_loader):
    model = Detector().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(args.max_epoch):
        train_one_epoch(model, train_loader, optimizer)
        model_eval = model.module if args.distributed else model
        model_eval.eval()
        print(evaluate(model_eval, val_loader))
        model_eval.train()
