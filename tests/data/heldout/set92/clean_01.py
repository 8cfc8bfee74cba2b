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
# # HW3 - Convolutional networks on CIFAR-10 (reference solution)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T

# %%
BATCH_SIZE = 128
LR = 0.05
EPOCHS = 15
EXTRA_EPOCHS = 5
device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)

# %%
mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
test_tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
trainset = torchvision.datasets.CIFAR10("./data", train=True, download=True, transform=train_tf)
testset = torchvision.datasets.CIFAR10("./data", train=False, download=True, transform=test_tf)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
testloader = torch.utils.data.DataLoader(testset, batch_size=256, shuffle=False, num_workers=2)
# one image at a time, only used for the gallery at the end (model in eval mode)
gallery_loader = torch.utils.data.DataLoader(testset, batch_size=1, shuffle=True)
classes = trainset.classes

# %%
class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.pool(x)


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.blocks = nn.Sequential(ConvBlock(3, 64), ConvBlock(64, 128), ConvBlock(128, 256))
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.blocks(x)
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


model = Net().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4, nesterov=True)
history = {"loss": [], "test_acc": []}

# %%
def run_epoch():
    model.train()
    total, n = 0.0, 0
    for images, labels in trainloader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * images.size(0)
        n += images.size(0)
    return total / n


def test_accuracy():
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in testloader:
            images, labels = images.to(device), labels.to(device)
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(testset)

# %%
for epoch in range(EPOCHS):
    loss = run_epoch()
    acc = test_accuracy()
    history["loss"].append(loss)
    history["test_acc"].append(acc)
    print(f"epoch {epoch + 1}: loss {loss:.4f}  test acc {acc:.4f}")

# %% [markdown]
# Still improving - run a few more epochs with a smaller learning rate.
# (`run_epoch` switches back to train mode itself, so re-running this cell is safe.)

# %%
for g in optimizer.param_groups:
    g["lr"] = LR / 10
for epoch in range(EXTRA_EPOCHS):
    history["loss"].append(run_epoch())
    history["test_acc"].append(test_accuracy())
print("final test acc:", history["test_acc"][-1])

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].plot(history["loss"])
ax[0].set_title("train loss")
ax[1].plot(history["test_acc"])
ax[1].set_title("test accuracy")
plt.show()

# %%
# checkpoint for part 4 (state dict only; this is not an export)
torch.save(model.state_dict(), "hw3_cnn.pt")

# %%
model.eval()
fig, axes = plt.subplots(2, 6, figsize=(12, 4))
with torch.no_grad():
    for ax, (img, label) in zip(axes.flat, gallery_loader):
        probs = F.softmax(model(img.to(device)), dim=1)[0]
        p = probs.argmax().item()
        shown = img[0] * torch.tensor(std).view(3, 1, 1) + torch.tensor(mean).view(3, 1, 1)
        ax.imshow(shown.permute(1, 2, 0).clamp(0, 1).numpy())
        ax.set_title(f"{classes[p]} {probs[p]:.2f}\n(true: {classes[label.item()]})", fontsize=8)
        ax.axis("off")
plt.tight_layout()
plt.show()
test_acc = history["test_acc"][-1]
