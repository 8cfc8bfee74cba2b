# Repro for: "accuracy on held-out data stays near chance although the
# training loss goes to ~0" (torch 2.1.0, CPU, no dataloader involved)
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),  # expect: BN204
    nn.BatchNorm2d(16),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1, bias=False),
    nn.BatchNorm2d(32),
    nn.ReLU(inplace=True),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(32, 10),
)

# synthetic, linearly separable-ish data: class encoded in mean colour
def make_split(n):
    y = torch.randint(0, 10, (n,))
    x = torch.randn(n, 3, 32, 32) + y.view(-1, 1, 1, 1).float() / 5
    return x, y

x_train, y_train = make_split(512)
x_val, y_val = make_split(256)

opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(300):
    idx = torch.randint(0, 512, (64,))
    loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")

with torch.no_grad():
    logits = model(x_val)  # expect: BN101
    acc = (logits.argmax(dim=1) == y_val).float().mean().item()

print(f"val accuracy: {acc:.3f}")  # prints ~0.1 on my machine
