import copy

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torchvision import models


def train_model(model, dataloaders, criterion, optimizer, scheduler, num_epochs=25):
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                scheduler.step()
                model.train()  # Set model to training mode
            else:
                model.eval()  # Set model to evaluate mode
            running_corrects = 0
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_corrects += torch.sum(preds == labels.data)
            epoch_acc = running_corrects.double() / len(dataloaders[phase].dataset)
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_model_wts)
    return model


def visualize_model(model, dataloaders, class_names, num_images=6):
    images_so_far = 0
    fig = plt.figure()
    for i, (inputs, labels) in enumerate(dataloaders["val"]):
        outputs = model(inputs)
        _, preds = torch.max(outputs.data, 1)
        for j in range(inputs.size()[0]):
            images_so_far += 1
            ax = plt.subplot(num_images // 2, 2, images_so_far)
            ax.axis("off")
            ax.set_title("predicted: {}".format(class_names[preds[j]]))
            plt.imshow(inputs.data[j].permute(1, 2, 0))
            if images_so_far == num_images:
                return


if __name__ == "__main__":
    dataloaders, class_names = torch.load("hymenoptera_loaders.pt")
    model_ft = models.resnet18(pretrained=True)
    model_ft.fc = nn.Linear(model_ft.fc.in_features, 2)
    optimizer_ft = optim.SGD(model_ft.parameters(), lr=0.001, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=7, gamma=0.1)
    model_ft = train_model(model_ft, dataloaders, nn.CrossEntropyLoss(), optimizer_ft, exp_lr_scheduler)
    visualize_model(model_ft, dataloaders, class_names)
