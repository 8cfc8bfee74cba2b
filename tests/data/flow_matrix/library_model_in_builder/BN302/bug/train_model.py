import torch
from torch.utils.data import DataLoader

from model_choice import net


def create_dataloaders(trn_dataset, val_dataset, batch_size):
    trn_dataloader = DataLoader(trn_dataset, batch_size=batch_size, shuffle=True)
    val_dataloader = DataLoader(val_dataset, batch_size=batch_size)
    return trn_dataloader, val_dataloader


def train(loader, model, optimizer):
    model.train()
    for images, masks in loader:
        loss = torch.nn.functional.cross_entropy(model(images)["out"], masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main(params, trn_dataset, val_dataset):
    model = net(params["model_name"], params["num_classes"])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    trn_dataloader, val_dataloader = create_dataloaders(trn_dataset, val_dataset, 12)
    for _ in range(params["epochs"]):
        train(trn_dataloader, model, optimizer)
