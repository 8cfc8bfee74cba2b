import os

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import classification_report, confusion_matrix
from torch.utils.data import DataLoader
from torchvision import models
from torchvision.models import ResNet18_Weights

from datasets import HostNAIPDataset


def get_resnet_model(pretrained=True):
    model = models.resnet18(weights=ResNet18_Weights.DEFAULT)
    original_conv = model.conv1
    model.conv1 = nn.Conv2d(4, original_conv.out_channels, kernel_size=original_conv.kernel_size,
                            stride=original_conv.stride, padding=original_conv.padding, bias=False)
    return model


class HostImageryClimateModel(nn.Module):
    def __init__(self, num_env_features, hidden_dim=256, dropout=0.25):
        super().__init__()
        self.resnet = get_resnet_model(pretrained=True)
        self.resnet.fc = nn.Identity()
        self.climate_mlp = nn.Sequential(
            nn.Linear(num_env_features, 128),
            nn.ReLU(),
            nn.BatchNorm1d(128),
            nn.Linear(128, 64),
            nn.ReLU(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(512 + 64, hidden_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, 1), nn.Sigmoid(),
        )

    def training_step(self, batch):
        images, envs, labels = batch
        out = self(images, envs)
        return F.binary_cross_entropy(out, labels)

    def validation_step(self, batch):
        images, envs, labels = batch
        out = self(images, envs)
        acc = ((out > 0.5).float() == labels).float().mean()
        return {'val_loss': F.binary_cross_entropy(out, labels).detach(), 'val_acc': acc}

    def forward(self, img, env):
        fused = torch.cat((self.resnet(img), self.climate_mlp(env)), dim=1)
        return self.classifier(fused).squeeze(1)


def evaluate(model, val_loader):
    model.eval()
    outputs = [model.validation_step(batch) for batch in val_loader]
    return {'val_loss': torch.stack([x['val_loss'] for x in outputs]).mean().item()}


def fit(epochs, model, train_loader, val_loader, optimizer):
    history = []
    for epoch in range(epochs):
        model.train()
        train_losses = []
        for batch in train_loader:
            loss = model.training_step(batch)
            train_losses.append(loss.detach())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        result = evaluate(model, val_loader)
        result['train_loss'] = torch.stack(train_losses).mean().item()
        history.append(result)
    return history


@torch.no_grad()
def test_model(model, test_loader, device, out_dir="model_results"):
    """
    Evaluate the model on the testing dataset and save results
    """
    model.to(device)
    model.eval  # Set model to evaluation mode for testing
    y_pred = []
    y_true = []
    for batch in test_loader:
        images, envs, labels = batch
        images, envs, labels = images.to(device), envs.to(device), labels.to(device)
        outputs = model(images, envs)
        preds = (outputs > 0.5).float()
        y_pred.extend(preds.cpu().numpy())
        y_true.extend(labels.cpu().numpy())
    print("Confusion Matrix:\n", confusion_matrix(y_true, y_pred))
    report = classification_report(y_true, y_pred, output_dict=True)
    os.makedirs(out_dir, exist_ok=True)
    pd.DataFrame(report).transpose().to_csv(os.path.join(out_dir, "classification_report.csv"))


if __name__ == "__main__":
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    env_vars = [f"bio{i}" for i in range(1, 20)]
    train_dl = DataLoader(HostNAIPDataset("train.csv", split="train"), batch_size=64, shuffle=True)
    val_dl = DataLoader(HostNAIPDataset("train.csv", split="val"), batch_size=64, shuffle=False)
    test_dl = DataLoader(HostNAIPDataset("train.csv", split="test"), batch_size=64, shuffle=False)
    model = HostImageryClimateModel(num_env_features=len(env_vars)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    history = fit(20, model, train_dl, val_dl, optimizer)
    test_model(model, test_dl, device, "results")
