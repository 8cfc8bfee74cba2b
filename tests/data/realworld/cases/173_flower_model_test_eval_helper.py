import numpy as np
import torch
from matplotlib import pyplot as plt
from torch import nn
from torchvision import models
from torchvision.models import ResNet50_Weights


def create_network(model_name="resnet50", output_size=103, hidden_layers=(1000,)):
    if model_name == "resnet50":
        model = models.resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
        model.fc = nn.Sequential(nn.Linear(2048, hidden_layers[0]), nn.ReLU(), nn.Linear(hidden_layers[0], output_size),
                                 nn.LogSoftmax(dim=1))
        return model
    return None


def evaluate(model, criterion, dataloader, device):
    loss = 0
    accuracy = 0
    with torch.no_grad():
        for images, labels in dataloader:
            images, labels = images.to(device), labels.to(device)
            output = model(images)
            loss += criterion(output, labels).item() * len(images)
            top_ps, top_class = torch.exp(output).topk(1, dim=1)
            accuracy += torch.sum((top_class == labels.view(*top_class.shape)).float()).item()
    return loss / len(dataloader.dataset), accuracy / len(dataloader.dataset)


def modelTest(model, dataloader, device, save_graphs=True):
    model.eval()
    criterion = nn.NLLLoss()
    test_loss, accuracy = evaluate(model, criterion, dataloader, device)
    print(f"Test Loss: {test_loss:.6f}\tTest accuracy: {(accuracy * 100):.2f}%")
    if save_graphs:
        plt.figure(figsize=(25, 13))
        plt.plot(np.array([test_loss, accuracy]), "r.")
        plt.savefig("output_data/testTestImg.png")
        plt.close()


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = create_network("resnet50").to(device)
    checkpoint = torch.load("checkpoint.pt", map_location=device)
    model.load_state_dict(checkpoint["model_state_dict"])
    modelTest(model, torch.load("test_loader.pt"), device)
