import torch
import torchvision


def fine_tune(model, loader, optimizer):
    model.train()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def defend(clean_loader):
    model = torchvision.models.resnet18(num_classes=10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model = fine_tune(model, clean_loader, optimizer)
    result = {}
    result["model"] = model
    result["epochs"] = 1
    return result
