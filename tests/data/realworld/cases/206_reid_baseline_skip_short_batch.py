import argparse
import os

import torch
import torch.nn as nn
from torchvision import datasets, transforms

from model import ft_net

parser = argparse.ArgumentParser(description="Training")
parser.add_argument("--data_dir", default="../Market/pytorch", type=str)
parser.add_argument("--batchsize", default=32, type=int)
opt = parser.parse_args()

data_transforms = {
    "train": transforms.Compose([transforms.Resize((256, 128)), transforms.RandomHorizontalFlip(), transforms.ToTensor()]),
    "val": transforms.Compose([transforms.Resize((256, 128)), transforms.ToTensor()]),
}
image_datasets = {x: datasets.ImageFolder(os.path.join(opt.data_dir, x), data_transforms[x]) for x in ["train", "val"]}
dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=opt.batchsize,
                                              shuffle=True, num_workers=8, pin_memory=True)
               for x in ["train", "val"]}


def train_model(model, criterion, optimizer, scheduler, num_epochs=25):
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train(True)
            else:
                model.train(False)
            for inputs, labels in dataloaders[phase]:
                now_batch_size, c, h, w = inputs.shape
                if now_batch_size < opt.batchsize:  # skip the last batch
                    continue
                optimizer.zero_grad()
                if phase == "val":
                    with torch.no_grad():
                        outputs = model(inputs)
                else:
                    outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == "train":
                    loss.backward()
                    optimizer.step()
        scheduler.step()
    return model


model = ft_net(len(image_datasets["train"].classes), 0.5)
optimizer_ft = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer_ft, step_size=40, gamma=0.1)
model = train_model(model, nn.CrossEntropyLoss(), optimizer_ft, scheduler, num_epochs=60)
