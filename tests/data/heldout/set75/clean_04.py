#!/usr/bin/env python
# coding: utf-8

# ## Dogs vs cats with a frozen resnet18 (Kaggle notebook)

# In[1]:


import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, models, transforms
import matplotlib.pyplot as plt

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


# In[2]:


norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_ds = datasets.ImageFolder('../input/dogs-vs-cats/train', transforms.Compose([
    transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
val_ds = datasets.ImageFolder('../input/dogs-vs-cats/val', transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
train_dl = torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=2)
val_dl = torch.utils.data.DataLoader(val_ds, batch_size=64, num_workers=2)


# In[3]:


model = models.resnet18(pretrained=True)
for p in model.parameters():
    p.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, 2)
model = model.to(device)


# frozen backbone -> its batchnorm layers must not update running stats either
def set_bn_eval(m):
    if isinstance(m, nn.BatchNorm2d):
        m.eval()


optimizer = optim.Adam(model.fc.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()


# In[4]:


train_loss, val_acc = [], []
for epoch in range(6):
    model.train()
    model.apply(set_bn_eval)
    tot = 0
    for xb, yb in train_dl:
        xb, yb = xb.to(device), yb.to(device)
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tot += loss.item() * xb.size(0)
    train_loss.append(tot / len(train_ds))

    model.eval()
    corr = 0
    with torch.no_grad():
        for xb, yb in val_dl:
            xb, yb = xb.to(device), yb.to(device)
            corr += (model(xb).argmax(1) == yb).sum().item()
    val_acc.append(corr / len(val_ds))
    print(f"epoch {epoch}: loss={train_loss[-1]:.4f} val_acc={val_acc[-1]:.4f}")


# In[5]:


plt.plot(train_loss, label='train loss')
plt.plot(val_acc, label='val acc')
plt.legend()
plt.show()


# In[6]:


# export for the web demo
model.eval()
dummy = torch.randn(1, 3, 224, 224, device=device)
torch.onnx.export(model, dummy, "dogs_cats.onnx", input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}})
print("done")
