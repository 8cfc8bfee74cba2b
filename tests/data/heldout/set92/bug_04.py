# %% [markdown]
# # Assignment 4 - transfer learning (ants vs bees)
# Adapted from the official "Transfer Learning for Computer Vision" tutorial.
# Part B: use ResNet-18 as a *fixed feature extractor* and train only the new head.
#
# Dataset: https://download.pytorch.org/tutorial/hymenoptera_data.zip

# %%
import copy
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, models, transforms

# %%
DATA_DIR = "data/hymenoptera_data"
BATCH_SIZE = 4          # same as the tutorial
NUM_EPOCHS = 25
LR = 0.001
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

# %%
data_transforms = {
    "train": transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]),
    "val": transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]),
}
train_set = datasets.ImageFolder(os.path.join(DATA_DIR, "train"), data_transforms["train"])
val_set = datasets.ImageFolder(os.path.join(DATA_DIR, "val"), data_transforms["val"])
train_loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=4)  # expect: BN301
val_loader = torch.utils.data.DataLoader(val_set, batch_size=BATCH_SIZE, shuffle=False, num_workers=4)
class_names = train_set.classes
print(len(train_set), len(val_set), class_names)

# %%
def imshow(inp, title=None):
    inp = inp.numpy().transpose((1, 2, 0))
    inp = np.clip(np.array([0.229, 0.224, 0.225]) * inp + np.array([0.485, 0.456, 0.406]), 0, 1)
    plt.imshow(inp)
    if title is not None:
        plt.title(title)
    plt.axis("off")

# %% [markdown]
# ## Fixed feature extractor
# "We need to freeze all the network except the final layer."

# %%
model_conv = models.resnet18(weights="IMAGENET1K_V1")
for param in model_conv.parameters():
    param.requires_grad = False  # expect: BN105

num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, len(class_names))  # new layer: requires_grad=True
model_conv = model_conv.to(device)

criterion = nn.CrossEntropyLoss()
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=LR, momentum=0.9)
exp_lr_scheduler = optim.lr_scheduler.StepLR(optimizer_conv, step_size=7, gamma=0.1)

# %%
since = time.time()
best_acc, best_wts = 0.0, copy.deepcopy(model_conv.state_dict())
hist = {"train_loss": [], "val_acc": []}

for epoch in range(NUM_EPOCHS):
    # --- train ---
    model_conv.train()
    running_loss = 0.0
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer_conv.zero_grad()
        loss = criterion(model_conv(inputs), labels)
        loss.backward()
        optimizer_conv.step()
        running_loss += loss.item() * inputs.size(0)
    exp_lr_scheduler.step()

    # --- validate ---
    model_conv.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in val_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            correct += (model_conv(inputs).argmax(1) == labels).sum().item()
    val_acc = correct / len(val_set)
    hist["train_loss"].append(running_loss / len(train_set))
    hist["val_acc"].append(val_acc)
    print(f"Epoch {epoch}/{NUM_EPOCHS - 1}  loss {hist['train_loss'][-1]:.4f}  val acc {val_acc:.4f}")
    if val_acc > best_acc:
        best_acc, best_wts = val_acc, copy.deepcopy(model_conv.state_dict())

elapsed = time.time() - since
print(f"Training complete in {elapsed // 60:.0f}m {elapsed % 60:.0f}s, best val acc {best_acc:.4f}")
model_conv.load_state_dict(best_wts)

# %%
plt.plot(hist["train_loss"], label="train loss")
plt.plot(hist["val_acc"], label="val acc")
plt.legend()
plt.show()

# %%
def visualize_model(model, num_images=6):
    model.eval()
    shown = 0
    plt.figure(figsize=(8, 6))
    with torch.no_grad():
        for inputs, labels in val_loader:
            preds = model(inputs.to(device)).argmax(1)
            for j in range(inputs.size(0)):
                shown += 1
                plt.subplot(num_images // 2, 2, shown)
                imshow(inputs[j], f"predicted: {class_names[preds[j]]}")
                if shown == num_images:
                    plt.show()
                    return


visualize_model(model_conv)
