import torch
import torch.nn as nn


class Seq2seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv1d(3, 3, 1, bias=False), nn.BatchNorm1d(3))

    def forward(self, xs, is_eval=False):
        if is_eval:
            with torch.no_grad():
                return self.enc(xs).sum()
        return self.enc(xs).sum()


def main(train_loader, dev_loader):
    model = Seq2seq()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    more = iter(train_loader)
    for xs in train_loader:
        loss = model(xs)
        loss.backward()
        opt.step()
        loss_again = model(next(more), is_eval=True)
        print(loss.item(), loss_again.item())
