"""
Transfer learning, "ConvNet as fixed feature extractor" -- done properly.

The backbone is frozen *and* its BatchNorm layers are kept in eval mode for
the whole run: every time the training phase calls model.train(), we switch
the backbone back to eval() so the ImageNet running statistics stay intact.
"""
import argparse
import copy
import os
import time

import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torchvision import datasets, models, transforms


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="data/hymenoptera_data")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    return p.parse_args()


def make_loaders(data_dir, batch_size):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    tfms = {
        "train": transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                     transforms.ToTensor(), norm]),
        "val": transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                   transforms.ToTensor(), norm]),
    }
    image_datasets = {x: datasets.ImageFolder(os.path.join(data_dir, x), tfms[x]) for x in ["train", "val"]}
    loaders = {
        "train": torch.utils.data.DataLoader(image_datasets["train"], batch_size=batch_size, shuffle=True, num_workers=4, drop_last=True),
        "val": torch.utils.data.DataLoader(image_datasets["val"], batch_size=batch_size, shuffle=False, num_workers=4),
    }
    sizes = {x: len(image_datasets[x]) for x in ["train", "val"]}
    return loaders, sizes, image_datasets["train"].classes


class FrozenBackboneClassifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        resnet = models.resnet18(weights="IMAGENET1K_V1")
        num_ftrs = resnet.fc.in_features
        resnet.fc = nn.Identity()
        self.backbone = resnet
        self.backbone.requires_grad_(False)
        self.head = nn.Linear(num_ftrs, num_classes)

    def train(self, mode=True):
        # the backbone is a frozen feature extractor: never let its
        # BatchNorm layers go back to training mode
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


def train_model(model, dataloaders, dataset_sizes, criterion, optimizer, scheduler, device, num_epochs=25):
    since = time.time()
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0

    for epoch in range(num_epochs):
        print(f"Epoch {epoch}/{num_epochs - 1}")
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()   # head in train mode, backbone stays in eval (see FrozenBackboneClassifier.train)
            else:
                model.eval()

            running_loss = 0.0
            running_corrects = 0
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

            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            print(f"{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model.state_dict())

    elapsed = time.time() - since
    print(f"Training complete in {elapsed // 60:.0f}m {elapsed % 60:.0f}s, best val Acc: {best_acc:4f}")
    model.load_state_dict(best_model_wts)
    return model


def main():
    args = get_args()
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    dataloaders, dataset_sizes, class_names = make_loaders(args.data_dir, args.batch_size)

    model = FrozenBackboneClassifier(len(class_names)).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.head.parameters(), lr=args.lr, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)

    model = train_model(model, dataloaders, dataset_sizes, criterion, optimizer, scheduler, device,
                        num_epochs=args.epochs)
    torch.save(model.state_dict(), "ants_bees_frozen_resnet18.pt")


if __name__ == "__main__":
    main()
