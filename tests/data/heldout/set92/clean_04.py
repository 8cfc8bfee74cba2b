# %% [markdown]
# # Assignment 4 - transfer learning, part C: frozen backbone done properly
#
# In part B the frozen ResNet's BatchNorm layers kept updating their running
# statistics because `model.train()` puts them back in training mode. Here the
# backbone BN layers are switched to eval *after* every `model.train()`.

# %%
import copy
import os

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, models, transforms

# %%
DATA_DIR = "data/hymenoptera_data"
BATCH_SIZE = 32
NUM_EPOCHS = 15
LR = 1e-3
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_set = datasets.ImageFolder(os.path.join(DATA_DIR, "train"), transforms.Compose([
    transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
val_set = datasets.ImageFolder(os.path.join(DATA_DIR, "val"), transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
train_loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=4)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=4, shuffle=False, num_workers=4)
class_names = train_set.classes

# %%
def set_bn_eval(module):
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.eval()


model = models.resnet18(weights="IMAGENET1K_V1")
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(model.fc.in_features, len(class_names)))
model = model.to(device)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.fc.parameters(), lr=LR, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)

# %%
best_acc, best_wts = 0.0, copy.deepcopy(model.state_dict())
losses, accs = [], []
for epoch in range(NUM_EPOCHS):
    model.train()
    model.apply(set_bn_eval)        # frozen backbone: keep ImageNet running stats
    running = 0.0
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running += loss.item() * inputs.size(0)
    scheduler.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in val_loader:
            correct += (model(inputs.to(device)).argmax(1).cpu() == labels).sum().item()
    acc = correct / len(val_set)
    losses.append(running / len(train_set))
    accs.append(acc)
    print(f"epoch {epoch}: loss {losses[-1]:.4f}  val acc {acc:.4f}")
    if acc > best_acc:
        best_acc, best_wts = acc, copy.deepcopy(model.state_dict())

model.load_state_dict(best_wts)
print("best val acc", best_acc)

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses, label="train loss")
ax.plot(accs, label="val acc")
ax.legend()
plt.show()

# %%
# TorchScript for the demo app
model.eval()
example = torch.randn(1, 3, 224, 224, device=device)
scripted = torch.jit.trace(model, example)
scripted.save("ants_bees_resnet18.pt")
print("saved ants_bees_resnet18.pt")
