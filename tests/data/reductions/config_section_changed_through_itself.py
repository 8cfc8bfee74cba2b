import torch
import torch.nn as nn
from torch.utils.data import DataLoader

CONFIG = {
    "train": {"batch_size": 2, "epochs": 5},
    "calibration": {"temperature": 1.0},
}

model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))


def calibrate(temperature):
    calibration = CONFIG["train"]
    calibration["batch_size"] = 64


def train(dataset):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for x, y in DataLoader(dataset, batch_size=CONFIG["train"]["batch_size"], shuffle=True):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
