import torch

m = torch.nn.BatchNorm1d(1, momentum=None)
x = 10 + 5 * torch.randn(10000, 1)

with torch.no_grad():
    y = m(x)  # training mode on purpose: the cumulative average takes in this batch's statistics

m.eval()
with torch.no_grad():
    y_eval = m(100 + x)
print(y.mean().item(), y_eval.mean().item())
