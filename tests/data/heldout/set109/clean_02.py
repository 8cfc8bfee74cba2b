# Sanity check: BatchNorm1d in eval mode == manual formula with running stats,
# and train-mode output == functional batch_norm with batch statistics.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

model = nn.Sequential(
    nn.Linear(8, 16, bias=False),
    nn.BatchNorm1d(16),
    nn.ReLU(),
    nn.Linear(16, 1),
)
opt = torch.optim.SGD(model.parameters(), lr=0.05)

for step in range(100):
    xb = torch.randn(32, 8)
    yb = xb.sum(dim=1, keepdim=True)
    loss = F.mse_loss(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()

lin, bn = model[0], model[1]
x = torch.randn(4, 8)

model.train(mode=False)
assert not bn.training
with torch.no_grad():
    h = lin(x)
    via_module = bn(h)
    manual = (h - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    # what the module would compute in training mode, without touching its buffers
    batch_stats = F.batch_norm(h, None, None, bn.weight, bn.bias, training=True, eps=bn.eps)

torch.testing.assert_close(via_module, manual)
print("eval vs train-mode normalisation, max diff:", (via_module - batch_stats).abs().max().item())
