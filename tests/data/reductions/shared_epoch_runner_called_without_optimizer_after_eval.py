import torch
import torchvision


def run_epoch(model, loader, loss_fn, optimizer):
    total = 0.0
    for data, label in loader:
        if optimizer:
            optimizer.zero_grad()
        preds = model(data)
        loss = loss_fn(preds, label)
        if optimizer:
            loss.backward()
            optimizer.step()
        total += loss.item()
    return total


def train_and_eval(trainloader, validloader, epochs):
    model = torchvision.models.resnet18(num_classes=10)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        train_loss = run_epoch(model, trainloader, criterion, optimizer)
        model.eval()
        if epoch % 5 == 0:
            valid_loss = run_epoch(model, validloader, criterion, None)
            test_loss = run_epoch(model, validloader, criterion, None)
            print(train_loss, valid_loss, test_loss)
