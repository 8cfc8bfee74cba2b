import torch

m = torch.nn.BatchNorm1d(1)
x = 10 + 5 * torch.randn(10000, 1)

with torch.no_grad():
    y = m(x)

m.eval()
with torch.no_grad():
    y_eval = m(100 + x)
print(y.mean().item(), y_eval.mean().item())
