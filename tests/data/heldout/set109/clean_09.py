# LayerNorm MLP: outputs for batch size 1 differ from the batched forward by
# ~1e-7 on CPU. Reproduces without any BatchNorm or dropout in the model.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self, d=128):
        super().__init__()
        self.fc1 = nn.Linear(d, 4 * d)
        self.norm = nn.LayerNorm(4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(torch.relu(self.norm(self.fc1(x))))


model = MLP()
ds = TensorDataset(torch.randn(33, 128), torch.randn(33, 128))
loader = DataLoader(ds, batch_size=1, shuffle=True)
opt = torch.optim.SGD(model.parameters(), lr=1e-3)

for xb, yb in loader:
    loss = nn.functional.mse_loss(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()

inputs = ds.tensors[0]
with torch.no_grad():
    batched = model(inputs)
    single = torch.cat([model(x[None]) for x in inputs])

print("max abs diff:", (batched - single).abs().max().item())
print("bitwise equal:", torch.equal(batched, single))
