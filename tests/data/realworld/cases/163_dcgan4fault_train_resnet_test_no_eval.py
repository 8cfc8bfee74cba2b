import argparse
import os

import torch
import torch.nn as nn
import torchvision.transforms as transforms
from torchvision.datasets import ImageFolder

from models.resNet import ResNet18

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
parser = argparse.ArgumentParser()
parser.add_argument("--data_dir", type=str, default="../data/SDP/data_1/")
parser.add_argument("--SB_before", type=int, default=500, help="number of save best model epochs begin")
parser.add_argument("--n_epochs", type=int, default=1000)
parser.add_argument("--eval_interval", type=int, default=1)
parser.add_argument("--save_dir", type=str)
parser.add_argument("--project_name", type=str)
opt = parser.parse_args()

train_transforms = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                       transforms.ToTensor()])
dataset = ImageFolder(opt.data_dir, transform=train_transforms)
train_set, test_set = torch.utils.data.random_split(dataset, [int(0.8 * len(dataset)), len(dataset) - int(0.8 * len(dataset))])
train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=64, shuffle=False)

model = ResNet18(num_classes=10).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
criterion = nn.CrossEntropyLoss()

os.makedirs(opt.save_dir, exist_ok=True)
best_acc = 0
for epoch in range(opt.n_epochs):
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()

    # evaluate the model
    if epoch > opt.SB_before and epoch % opt.eval_interval == 0:
        correct = 0
        total = 0
        with torch.no_grad():
            for images, labels in test_loader:
                images, labels = images.to(device), labels.to(device)
                outputs = model(images)
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
            if best_acc < (correct / total):
                best_acc = correct / total
                torch.save(model, opt.save_dir + "/" + opt.project_name + "best.pt")

torch.save(model, opt.save_dir + "/" + opt.project_name + "last.pt")
