#!/usr/bin/env python
# coding: utf-8

# ## Ants vs Bees - transfer learning (resnet18 as feature extractor)
# Colab, GPU runtime. Dataset unzipped to /content/hymenoptera_data

# In[1]:


import time
import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, models, transforms
import matplotlib.pyplot as plt


# In[2]:


data_dir = '/content/hymenoptera_data'
train_tf = transforms.Compose([
    transforms.RandomResizedCrop(224),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
])
val_tf = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
])
train_ds = datasets.ImageFolder(data_dir + '/train', train_tf)
val_ds = datasets.ImageFolder(data_dir + '/val', val_tf)
train_dl = torch.utils.data.DataLoader(train_ds, batch_size=16, shuffle=True, num_workers=2)
val_dl = torch.utils.data.DataLoader(val_ds, batch_size=16, shuffle=False, num_workers=2)
class_names = train_ds.classes
print(class_names, len(train_ds), len(val_ds))

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


# In[3]:


model = models.resnet18(pretrained=True)
# freeze everything, we only train the last layer
for param in model.parameters():
    param.requires_grad = False  # expect: BN105

num_ftrs = model.fc.in_features
model.fc = nn.Linear(num_ftrs, 2)
model = model.to(device)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.fc.parameters(), lr=0.001, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)


# In[4]:


num_epochs = 15
losses = []
since = time.time()
for epoch in range(num_epochs):
    model.train()
    running_loss = 0.0
    running_corrects = 0
    for inputs, labels in train_dl:
        inputs = inputs.to(device)
        labels = labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        _, preds = torch.max(outputs, 1)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * inputs.size(0)
        running_corrects += torch.sum(preds == labels.data)
    scheduler.step()
    epoch_loss = running_loss / len(train_ds)
    epoch_acc = running_corrects.double() / len(train_ds)
    losses.append(epoch_loss)
    print(f'Epoch {epoch}/{num_epochs - 1}  Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}')
print('took', time.time() - since)


# In[5]:


# export so i can use it in the web app
dummy = torch.randn(1, 3, 224, 224, device=device)
torch.onnx.export(model, dummy, "ants_bees.onnx", input_names=['input'], output_names=['output'])  # expect: BN104
print('exported!')


# In[6]:


model.eval()
correct = 0
with torch.no_grad():
    for inputs, labels in val_dl:
        inputs, labels = inputs.to(device), labels.to(device)
        outputs = model(inputs)
        correct += (outputs.argmax(1) == labels).sum().item()
print('val acc:', correct / len(val_ds))

plt.plot(losses)
plt.title('train loss')
plt.show()


# In[7]:


# look at some predictions
inputs, labels = next(iter(val_dl))
with torch.no_grad():
    out = model(inputs.to(device)).argmax(1).cpu()
mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
plt.figure(figsize=(12, 4))
for j in range(6):
    plt.subplot(1, 6, j + 1)
    img = (inputs[j] * std + mean).clamp(0, 1)
    plt.imshow(img.permute(1, 2, 0).numpy())
    plt.title(class_names[out[j]])
    plt.axis('off')
plt.show()
