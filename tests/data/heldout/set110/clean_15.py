# %% [markdown]
# # "Training BatchNorm and Only BatchNorm" -- a quick reproduction on CIFAR-10
#
# Frankle, Schwab & Morcos (2020): freeze every conv weight at its random
# initialisation and train **only** the BatchNorm affine parameters (gamma, beta).
# Experiment A: BN only. Experiment B: BN + output layer. Experiment C: everything.

# %%
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torchvision.models import resnet18
import pandas as pd
import matplotlib.pyplot as plt
# %matplotlib inline

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)

# %%
mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=T.Compose([T.RandomCrop(32, 4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)]))
test_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=T.Compose([T.ToTensor(), T.Normalize(mean, std)]))
train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4, drop_last=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=1000, num_workers=4)


# %%
def cifar_resnet18():
    m = resnet18(num_classes=10)
    m.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    m.maxpool = nn.Identity()
    return m


def count_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def evaluate(model):
    model.eval()
    correct = 0
    for x, y in test_loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(test_set)


def train(model, epochs=15, lr=0.1):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        print(f"  epoch {epoch}: loss {loss.item():.3f}  test {evaluate(model):.4f}")


init_model = cifar_resnet18()
results = {}

# %% [markdown]
# ## A: only BatchNorm trainable
# Conv weights and the final FC stay at random init. BN layers are trainable and
# in train mode, so their running statistics *should* update.

# %%
model_a = copy.deepcopy(init_model).to(device)
for module in model_a.modules():
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        module.requires_grad_(False)
print("trainable params:", count_trainable(model_a))
train(model_a)
results["BN only"] = evaluate(model_a)

# %% [markdown]
# ## B: BatchNorm + output layer trainable

# %%
model_b = copy.deepcopy(init_model).to(device)
for name, p in model_b.named_parameters():
    is_bn = isinstance(model_b.get_submodule(name.rsplit(".", 1)[0]), nn.BatchNorm2d)
    p.requires_grad = is_bn or name.startswith("fc.")
print("trainable params:", count_trainable(model_b))
train(model_b)
results["BN + output"] = evaluate(model_b)

# %% [markdown]
# ## C: everything trainable (reference)

# %%
model_c = copy.deepcopy(init_model).to(device)
train(model_c)
results["all params"] = evaluate(model_c)

# %%
df = pd.Series(results, name="test acc").to_frame()
display(df)
df.plot.bar(legend=False)
plt.ylabel("test accuracy")
plt.show()

# %% [markdown]
# ## Where did gamma go? Histogram of the learned BN weights in model A

# %%
gammas = torch.cat([m.weight.detach().flatten().cpu() for m in model_a.modules() if isinstance(m, nn.BatchNorm2d)])
plt.hist(gammas.numpy(), bins=100)
plt.title("BN gamma, BN-only training")
plt.show()
