from pathlib import Path

import click
import torch
from torch.utils.data import DataLoader
from torchvision import models, transforms
from torchvision.models.segmentation.deeplabv3 import DeepLabHead

from segdataset import SegmentationDataset


def createDeepLabv3(outputchannels=1):
    model = models.segmentation.deeplabv3_resnet101(pretrained=True, progress=True)
    model.classifier = DeepLabHead(2048, outputchannels)
    model.train()
    return model


def get_dataloader_single_folder(data_dir, image_folder="Images", mask_folder="Masks", fraction=0.2, batch_size=4):
    data_transforms = transforms.Compose([transforms.ToTensor()])
    image_datasets = {
        x: SegmentationDataset(data_dir, image_folder=image_folder, mask_folder=mask_folder, seed=100,
                               fraction=fraction, subset=x, transforms=data_transforms)
        for x in ["Train", "Test"]
    }
    dataloaders = {
        x: DataLoader(image_datasets[x], batch_size=batch_size, shuffle=True, num_workers=8)
        for x in ["Train", "Test"]
    }
    return dataloaders


def train_model(model, criterion, dataloaders, optimizer, num_epochs):
    for epoch in range(1, num_epochs + 1):
        for phase in ["Train", "Test"]:
            if phase == "Train":
                model.train()
            else:
                model.eval()
            for sample in dataloaders[phase]:
                inputs, masks = sample["image"], sample["mask"]
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "Train"):
                    outputs = model(inputs)
                    loss = criterion(outputs["out"], masks)
                    if phase == "Train":
                        loss.backward()
                        optimizer.step()
    return model


@click.command()
@click.option("--data-directory", required=True)
@click.option("--epochs", default=25, type=int)
@click.option("--batch-size", default=4, type=int)
def main(data_directory, epochs, batch_size):
    model = createDeepLabv3()
    model.train()
    criterion = torch.nn.MSELoss(reduction="mean")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    dataloaders = get_dataloader_single_folder(Path(data_directory), batch_size=batch_size)
    train_model(model, criterion, dataloaders, optimizer, num_epochs=epochs)


if __name__ == "__main__":
    main()
