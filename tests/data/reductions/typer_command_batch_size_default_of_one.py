import torch
import torch.nn as nn
import typer
from torch.utils.data import DataLoader

app = typer.Typer()


def make_loader(data, batch_size=16):
    return DataLoader(data, batch_size=batch_size)


@app.command()
def train(data: str, bs: int = 1):
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x in make_loader(torch.load(data), batch_size=bs):
        loss = model(x).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
