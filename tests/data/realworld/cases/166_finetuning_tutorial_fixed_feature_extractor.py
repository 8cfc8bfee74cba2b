import copy

import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import models


def set_parameter_requires_grad(model, feature_extracting):
    if feature_extracting:
        for param in model.parameters():
            param.requires_grad = False


def initialize_model(model_name, num_classes, feature_extract, use_pretrained=True):
    if model_name == "resnet":
        model_ft = models.resnet18(pretrained=use_pretrained)
        set_parameter_requires_grad(model_ft, feature_extract)
        model_ft.fc = nn.Linear(model_ft.fc.in_features, num_classes)
    elif model_name == "densenet":
        model_ft = models.densenet121(pretrained=use_pretrained)
        set_parameter_requires_grad(model_ft, feature_extract)
        model_ft.classifier = nn.Linear(model_ft.classifier.in_features, num_classes)
    return model_ft


def train_model(model, dataloaders, criterion, optimizer, num_epochs=25):
    best_acc, best_model_wts = 0.0, copy.deepcopy(model.state_dict())
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()  # Set model to training mode
            else:
                model.eval()   # Set model to evaluate mode
            running_corrects = 0
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_corrects += torch.sum(outputs.argmax(1) == labels.data)
            epoch_acc = running_corrects.double() / len(dataloaders[phase].dataset)
            if phase == "val" and epoch_acc > best_acc:
                best_acc, best_model_wts = epoch_acc, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_model_wts)
    return model


if __name__ == "__main__":
    feature_extract = True
    model_ft = initialize_model("resnet", 2, feature_extract, use_pretrained=True)
    params_to_update = [p for p in model_ft.parameters() if p.requires_grad]
    optimizer_ft = optim.SGD(params_to_update, lr=0.001, momentum=0.9)
    model_ft = train_model(model_ft, torch.load("hymenoptera_loaders.pt"), nn.CrossEntropyLoss(), optimizer_ft)
