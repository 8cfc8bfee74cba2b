# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.15.2
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # HW3 - Convolutional networks on CIFAR-10
#
# Fill in the TODOs. The autograder imports `model` and reads `test_acc`
# from the last cell, so keep those names.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T

# %%
# ---- hyperparameters (tuned on the validation split in HW2) ----
BATCH_SIZE = 128
LR = 0.05
EPOCHS = 15
WEIGHT_DECAY = 5e-4
device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)

# %%
mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
train_tf = T.Compose([
    T.RandomCrop(32, padding=4),
    T.RandomHorizontalFlip(),
    T.ToTensor(),
    T.Normalize(mean, std),
])
test_tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])

trainset = torchvision.datasets.CIFAR10("./data", train=True, download=True, transform=train_tf)
testset = torchvision.datasets.CIFAR10("./data", train=False, download=True, transform=test_tf)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
testloader = torch.utils.data.DataLoader(testset, batch_size=256, shuffle=False, num_workers=2)
classes = trainset.classes

# %% [markdown]
# ## Part 1: the network
# TODO(student): three blocks of (conv -> BN -> ReLU) x 2 followed by max-pooling.

# %%
class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)  # expect: BN204
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.pool(x)


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.block1 = ConvBlock(3, 64)
        self.block2 = ConvBlock(64, 128)
        self.block3 = ConvBlock(128, 256)
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


model = Net().to(device)
print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters")

# %%
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9,
                            weight_decay=WEIGHT_DECAY, nesterov=True)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, epochs=EPOCHS,
                                                steps_per_epoch=len(trainloader))
history = {"loss": [], "train_acc": []}

# %% [markdown]
# ## Part 2: training

# %%
for epoch in range(EPOCHS):
    model.train()
    t0 = time.time()
    running_loss, correct, seen = 0.0, 0, 0
    for images, labels in trainloader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        scheduler.step()

        running_loss += loss.item() * images.size(0)
        correct += (outputs.argmax(1) == labels).sum().item()
        seen += images.size(0)
    history["loss"].append(running_loss / seen)
    history["train_acc"].append(correct / seen)
    print(f"epoch {epoch + 1}/{EPOCHS}  loss {running_loss / seen:.4f}  "
          f"acc {correct / seen:.3f}  ({time.time() - t0:.0f}s)")

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].plot(history["loss"])
ax[0].set_title("train loss")
ax[1].plot(history["train_acc"])
ax[1].set_title("train accuracy")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Part 3: test accuracy (graded)

# %%
correct, total = 0, 0
class_correct = np.zeros(10)
class_total = np.zeros(10)
wrong_imgs, wrong_pred, wrong_true = [], [], []

with torch.no_grad():
    for images, labels in testloader:
        images, labels = images.to(device), labels.to(device)
        outputs = model(images)  # expect: BN101
        preds = outputs.argmax(dim=1)
        correct += (preds == labels).sum().item()
        total += labels.size(0)
        for t, p in zip(labels.cpu().numpy(), preds.cpu().numpy()):
            class_total[t] += 1
            class_correct[t] += int(t == p)
        miss = preds != labels
        if len(wrong_imgs) < 16 and miss.any():
            wrong_imgs.extend(images[miss].cpu()[:4])
            wrong_pred.extend(preds[miss].cpu()[:4].tolist())
            wrong_true.extend(labels[miss].cpu()[:4].tolist())

test_acc = correct / total
print(f"test accuracy: {100 * test_acc:.2f}%")

# %%
plt.figure(figsize=(9, 3))
plt.bar(classes, 100 * class_correct / class_total)
plt.xticks(rotation=45)
plt.ylabel("accuracy (%)")
plt.show()

# %%
# a few mistakes (uses the predictions collected above)
fig, axes = plt.subplots(2, 8, figsize=(14, 4))
for ax, img, p, t in zip(axes.flat, wrong_imgs, wrong_pred, wrong_true):
    img = img * torch.tensor(std).view(3, 1, 1) + torch.tensor(mean).view(3, 1, 1)
    ax.imshow(img.permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(f"{classes[p]}\n({classes[t]})", fontsize=8)
    ax.axis("off")
plt.show()

# %%
torch.save(model.state_dict(), "hw3_cnn.pt")
