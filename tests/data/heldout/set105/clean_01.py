"""Full fine-tuning of a torchvision ResNet-34 on a two-folder dataset.

Derived from the PyTorch "finetuning torchvision models" tutorial; this run
finetunes every layer (FEATURE_EXTRACT = False).
"""
import copy
import os
import time

import torch
import torch.nn as nn
import torch.optim as optim
from torchvision import datasets, models, transforms

DATA_DIR = "./data/flowers_split"
NUM_CLASSES = 5
BATCH_SIZE = 32
NUM_EPOCHS = 12
FEATURE_EXTRACT = False


def set_parameter_requires_grad(model, feature_extracting):
    if feature_extracting:
        for param in model.parameters():
            param.requires_grad = False


def initialize_model(num_classes, feature_extract):
    model_ft = models.resnet34(weights=models.ResNet34_Weights.IMAGENET1K_V1)
    set_parameter_requires_grad(model_ft, feature_extract)
    num_ftrs = model_ft.fc.in_features
    model_ft.fc = nn.Linear(num_ftrs, num_classes)
    return model_ft, 224


def train_model(model, dataloaders, criterion, optimizer, scheduler, device, num_epochs):
    since = time.time()
    best_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0

    for epoch in range(num_epochs):
        print(f"Epoch {epoch}/{num_epochs - 1}")
        for phase in ("train", "val"):
            if phase == "train":
                model.train()
            else:
                model.eval()

            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == "train":
                scheduler.step()

            n = len(dataloaders[phase].dataset)
            epoch_acc = running_corrects.double() / n
            print(f"{phase} Loss: {running_loss / n:.4f} Acc: {epoch_acc:.4f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_wts = copy.deepcopy(model.state_dict())

    print(f"Training complete in {time.time() - since:.0f}s, best val Acc {best_acc:.4f}")
    model.load_state_dict(best_wts)
    return model


def test_model(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            outputs = model(inputs.to(device))
            correct += (outputs.argmax(1).cpu() == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    model_ft, input_size = initialize_model(NUM_CLASSES, FEATURE_EXTRACT)
    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    data_transforms = {
        "train": transforms.Compose([transforms.RandomResizedCrop(input_size), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]),
        "val": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(input_size), transforms.ToTensor(), normalize]),
        "test": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(input_size), transforms.ToTensor(), normalize]),
    }
    image_datasets = {x: datasets.ImageFolder(os.path.join(DATA_DIR, x), data_transforms[x]) for x in ("train", "val", "test")}
    dataloaders = {
        "train": torch.utils.data.DataLoader(image_datasets["train"], batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True),
        "val": torch.utils.data.DataLoader(image_datasets["val"], batch_size=BATCH_SIZE, shuffle=False, num_workers=4),
    }
    test_loader = torch.utils.data.DataLoader(image_datasets["test"], batch_size=1, shuffle=False)

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    model_ft = model_ft.to(device)

    params_to_update = [p for p in model_ft.parameters() if p.requires_grad]
    optimizer_ft = optim.SGD(params_to_update, lr=0.001, momentum=0.9)
    exp_lr_scheduler = optim.lr_scheduler.StepLR(optimizer_ft, step_size=7, gamma=0.1)
    criterion = nn.CrossEntropyLoss()

    model_ft = train_model(model_ft, dataloaders, criterion, optimizer_ft, exp_lr_scheduler, device, NUM_EPOCHS)
    print("test acc:", test_model(model_ft, test_loader, device))
    torch.save(model_ft.state_dict(), "resnet34_flowers_ft.pth")


if __name__ == "__main__":
    main()
