#!/usr/bin/env python
# coding: utf-8

# # Knowledge distillation on CIFAR-10: ResNet-18 teacher -> tiny student
#
# Tutorial notebook (Hinton et al. 2015 loss). The teacher was trained in
# `teacher.ipynb`; here we load it, freeze it and distil into a small CNN.

# In[1]:


import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms
from torchvision.models import resnet18

get_ipython().run_line_magic('matplotlib', 'inline')
device = "cuda" if torch.cuda.is_available() else "cpu"


# In[2]:


transform_train = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
])
transform_test = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
])
train_loader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10("./data", train=True, download=True, transform=transform_train),
    batch_size=128, shuffle=True, num_workers=2)
test_loader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10("./data", train=False, download=True, transform=transform_test),
    batch_size=256, shuffle=False, num_workers=2)


# In[3]:


teacher = resnet18(num_classes=10)
teacher.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
teacher.maxpool = nn.Identity()
teacher.load_state_dict(torch.load("teacher_resnet18_cifar10.pth", map_location="cpu"))
teacher = teacher.to(device)
teacher.eval()
teacher.requires_grad_(False)


# In[4]:


class Student(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 8 * 8, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def test(model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in test_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            correct += (model(inputs).argmax(1) == labels).sum().item()
    return 100 * correct / len(test_loader.dataset)


print("teacher accuracy:", test(teacher))


# In[5]:


def train_knowledge_distillation(teacher, student, epochs, T=2.0, soft_target_loss_weight=0.25, ce_loss_weight=0.75):
    ce_loss = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
    for epoch in range(epochs):
        student.train()
        running_loss, running_acc = 0.0, 0.0
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            with torch.no_grad():
                teacher_logits = teacher(inputs)
            student_logits = student(inputs)

            soft_targets = F.softmax(teacher_logits / T, dim=-1)
            soft_prob = F.log_softmax(student_logits / T, dim=-1)
            soft_loss = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) / soft_prob.size(0) * (T ** 2)
            label_loss = ce_loss(student_logits, labels)
            loss = soft_target_loss_weight * soft_loss + ce_loss_weight * label_loss
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            running_acc += (student_logits.argmax(1) == labels).float().mean().item()
        print(f"Epoch {epoch + 1}/{epochs}, loss {running_loss / len(train_loader):.4f}, train acc {100 * running_acc / len(train_loader):.2f}")


# In[6]:


torch.manual_seed(42)
student = Student().to(device)
train_knowledge_distillation(teacher, student, epochs=10)
print("student (KD) accuracy:", test(student))


# ## Baseline: same student without distillation, for comparison

# In[7]:


torch.manual_seed(42)
student_ce = Student().to(device)
opt = torch.optim.Adam(student_ce.parameters(), lr=1e-3)
for epoch in range(10):
    student_ce.train()
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = F.cross_entropy(student_ce(inputs), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
print("student (CE only) accuracy:", test(student_ce))
