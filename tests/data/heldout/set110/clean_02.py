# %% [markdown]
# # CIFAR-10 in a few minutes: VGG-style net with BatchNorm
# Lecture 6 notebook. Train, look at the results, then train some more with a
# lower learning rate and re-check.

# %%
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
import matplotlib.pyplot as plt
# %matplotlib inline

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# %%
norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=T.Compose([T.RandomCrop(32, 4), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
test_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=T.Compose([T.ToTensor(), norm]))
train_loader = torch.utils.data.DataLoader(train_set, batch_size=256, shuffle=True, num_workers=4, pin_memory=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=1024, num_workers=4)

# %%
conv3x3 = partial(nn.Conv2d, kernel_size=3, padding=1, bias=False)


def vgg_stage(c_in, c_out, n_convs=2):
    layers = []
    for i in range(n_convs):
        layers += [conv3x3(c_in if i == 0 else c_out, c_out), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class VGGish(nn.Module):
    def __init__(self, widths=(64, 128, 256), num_classes=10):
        super().__init__()
        stages, c = [], 3
        for w in widths:
            stages.append(vgg_stage(c, w))
            c = w
        self.features = nn.Sequential(*stages)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


model = VGGish().to(DEVICE)
model

# %%
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    correct = total = 0
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        correct += (net(x).argmax(dim=1) == y).sum().item()
        total += y.numel()
    return correct / total


def fit(net, epochs):
    for epoch in range(epochs):
        net.train()
        for x, y in train_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = evaluate(net, test_loader)
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.3f}  test acc {acc:.4f}")


# %%
fit(model, 10)

# %% [markdown]
# ## Per-class accuracy

# %%
model.eval()
per_class = torch.zeros(10)
counts = torch.zeros(10)
with torch.no_grad():
    for x, y in test_loader:
        pred = model(x.to(DEVICE)).argmax(1).cpu()
        for c in range(10):
            mask = y == c
            per_class[c] += (pred[mask] == c).sum()
            counts[c] += mask.sum()
for c, name in enumerate(CLASSES):
    print(f"{name:6s} {100 * per_class[c] / counts[c]:.1f}%")

# %% [markdown]
# Cats and dogs are still weak. Drop the LR and train 5 more epochs.

# %%
for g in optimizer.param_groups:
    g["lr"] = 0.005

for epoch in range(5):
    model.train()
    for x, y in train_loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        out = model(x)
        loss = F.cross_entropy(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"extra epoch {epoch}: test acc {evaluate(model, test_loader):.4f}")

torch.save(model.state_dict(), "vggish_cifar10.pt")

# %% [markdown]
# ## Inference on a single image

# %%
img, label = test_set[7]
model.eval()
with torch.no_grad():
    probs = F.softmax(model(img.unsqueeze(0).to(DEVICE)), dim=1).squeeze(0).cpu()
top3 = probs.topk(3)
print("true:", CLASSES[label])
for p, i in zip(top3.values, top3.indices):
    print(f"  {CLASSES[i]:6s} {p:.3f}")
plt.imshow((img * 0.25 + 0.45).permute(1, 2, 0).clamp(0, 1))
plt.show()
