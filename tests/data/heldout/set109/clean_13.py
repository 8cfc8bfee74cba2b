# Val accuracy fluctuates between identical runs with a fixed seed when
# cudnn.benchmark=True. Probe predictions are taken mid-epoch and per epoch.
import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
EPOCHS, PROBE_EVERY = 3, 50


@contextlib.contextmanager
def evaluating(net):
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)


def validate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(loader.dataset)


model = nn.Sequential(
    nn.Conv2d(1, 16, 5, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 5, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 4 * 4, 10),
)
train_loader = DataLoader(TensorDataset(torch.randn(6400, 1, 28, 28), torch.randint(0, 10, (6400,))), batch_size=64, shuffle=True)
val_loader = DataLoader(TensorDataset(torch.randn(1000, 1, 28, 28), torch.randint(0, 10, (1000,))), batch_size=1)
fixed_batch = next(iter(val_loader))[0]
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(EPOCHS):
    for step, (x, y) in enumerate(train_loader):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % PROBE_EVERY == 0:
            with evaluating(model), torch.no_grad():
                probe = model(fixed_batch).argmax(1)
            print(epoch, step, probe.tolist())
    print(f"epoch {epoch}: val acc {validate(model, val_loader):.4f}")
