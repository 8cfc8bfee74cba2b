# %% [markdown]
# # Keras -> PyTorch: porting a small CIFAR ResNet (and getting BatchNorm right)
#
# Gotchas when porting `layers.BatchNormalization`:
# * Keras `momentum=0.99` is the weight of the **old** running value; PyTorch's
#   `momentum` is the weight of the **new** batch -> use `1 - 0.99 = 0.01`.
# * Keras `epsilon` defaults to 1e-3, PyTorch's `eps` to 1e-5.
# * Keras puts channels last; PyTorch BN normalises dim 1.

# %%
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.nn import BatchNorm2d as BN

# %matplotlib inline
import matplotlib.pyplot as plt

# %%
KERAS_MOMENTUM = 0.99
KERAS_EPS = 1e-3
BN_MOMENTUM = 1.0 - KERAS_MOMENTUM   # 0.01 in PyTorch convention
BATCH_SIZE = 128
EPOCHS = 30

device = "cuda" if torch.cuda.is_available() else "cpu"

# %%
tf_train = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor()])
tf_test = T.ToTensor()
ds_train = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=tf_train)
ds_test = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=tf_test)
dl_train = torch.utils.data.DataLoader(ds_train, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
dl_test = torch.utils.data.DataLoader(ds_test, batch_size=500, num_workers=2)


# %%
class ResBlock(nn.Module):
    # keras:
    #   y = Conv2D(f, 3, padding="same", use_bias=False)(x)
    #   y = BatchNormalization(momentum=0.99, epsilon=1e-3)(y)
    #   y = Activation("relu")(y)
    #   y = Conv2D(f, 3, padding="same", use_bias=False)(y)
    #   y = BatchNormalization(momentum=0.99, epsilon=1e-3)(y)
    #   out = Activation("relu")(Add()([x, y]))
    def __init__(self, f):
        super().__init__()
        self.c1 = nn.Conv2d(f, f, 3, padding=1, bias=False)
        self.b1 = BN(f, eps=KERAS_EPS, momentum=BN_MOMENTUM)
        self.c2 = nn.Conv2d(f, f, 3, padding=1, bias=False)
        self.b2 = BN(f, KERAS_EPS, BN_MOMENTUM)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(x + y)


class KerasResNet(nn.Module):
    def __init__(self, width=64, n_blocks=3, n_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False),
            BN(width, 1e-3, 0.01),
            nn.ReLU(),
        )
        self.blocks = nn.Sequential(*[ResBlock(width) for _ in range(n_blocks)])
        self.head_fc = nn.Linear(width, 128, bias=False)
        self.head_bn = nn.BatchNorm1d(128, momentum=None)  # cumulative average, like the paper's inference stats
        self.out = nn.Linear(128, n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = F.relu(self.head_bn(self.head_fc(x)))
        return self.out(x)


model = KerasResNet().to(device)
print(sum(p.numel() for p in model.parameters()) / 1e6, "M params")

# %%
# keras: model.compile(optimizer=Adam(1e-3), loss="sparse_categorical_crossentropy")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
history = {"loss": [], "val_acc": []}

for epoch in range(EPOCHS):
    model.train()
    total = 0.0
    for x, y in dl_train:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * x.size(0)
    history["loss"].append(total / len(ds_train))

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in dl_test:
            correct += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
    history["val_acc"].append(correct / len(ds_test))
    print(f"epoch {epoch + 1}: loss {history['loss'][-1]:.3f} val_acc {history['val_acc'][-1]:.4f}")

# %%
plt.plot(history["val_acc"])
plt.title("val accuracy")
plt.show()

# %% [markdown]
# ## Compare a few predictions with the Keras model's saved outputs

# %%
keras_logits = np.load("keras_logits_first64.npy")
x = torch.stack([ds_test[i][0] for i in range(64)]).to(device)
with torch.no_grad():
    torch_logits = model(x).cpu().numpy()
print("argmax agreement:", (keras_logits.argmax(1) == torch_logits.argmax(1)).mean())
