# NNCF classification sample as run by the sanity tests (CIFAR10, 1000 samples,
# batch size 3): the training DataLoader had no drop_last, so the last batch of
# every epoch held a single sample and ResNet's BatchNorm raised
# "Expected more than 1 value per channel when training".
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as transforms
from torch.utils.data import Subset

SANITY_CONFIG = {
    "model": "resnet18",
    "dataset": "CIFAR10",
    "num_classes": 10,
    "batch_size": 3,
    "workers": 0,
    "epochs": 1,
    "distributed": False,
}


def get_dataset(config, transform, is_train):
    return torchvision.datasets.CIFAR10(
        root="./data", train=is_train, download=True, transform=transform
    )


def create_datasets(config):
    transform = transforms.Compose([transforms.ToTensor()])
    train_dataset = get_dataset(config, transform, is_train=True)
    val_dataset = get_dataset(config, transform, is_train=False)
    # the sanity test data set holds 1000 points
    train_dataset = Subset(train_dataset, range(1000))
    val_dataset = Subset(val_dataset, range(1000))
    return train_dataset, val_dataset


def create_data_loaders(config, train_dataset, val_dataset):
    pin_memory = torch.cuda.is_available()
    batch_size = int(config["batch_size"])
    workers = int(config["workers"])

    val_loader = torch.utils.data.DataLoader(
        val_dataset, batch_size=batch_size, shuffle=False,
        num_workers=workers, pin_memory=pin_memory)

    train_sampler = None
    if config["distributed"]:
        train_sampler = torch.utils.data.distributed.DistributedSampler(train_dataset)
    train_loader = torch.utils.data.DataLoader(
        train_dataset, batch_size=batch_size, shuffle=(train_sampler is None),
        num_workers=workers, pin_memory=pin_memory, sampler=train_sampler)
    return train_loader, train_sampler, val_loader


def train_epoch(train_loader, model, criterion, optimizer):
    model.train()
    for input_, target in train_loader:
        output = model(input_)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main_worker(config):
    model = torchvision.models.resnet18(num_classes=config["num_classes"])
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train_dataset, val_dataset = create_datasets(config)
    train_loader, _, val_loader = create_data_loaders(config, train_dataset, val_dataset)
    for _ in range(config["epochs"]):
        train_epoch(train_loader, model, criterion, optimizer)


if __name__ == "__main__":
    main_worker(SANITY_CONFIG)
