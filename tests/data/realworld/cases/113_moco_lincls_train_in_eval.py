import argparse

import torch
import torch.nn as nn
import torchvision.models as models


def train(train_loader, model, criterion, optimizer, epoch, args):
    """
    Switch to eval mode:
    Under the protocol of linear classification on frozen features/models,
    it is not legitimate to change any part of the pre-trained model.
    BatchNorm in train mode may revise running mean/std (even if it receives
    no gradient), which are part of the model parameters too.
    """
    model.eval()
    for i, (images, target) in enumerate(train_loader):
        output = model(images)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def validate(val_loader, model, criterion, args):
    model.eval()
    with torch.no_grad():
        correct = 0
        for images, target in val_loader:
            correct += (model(images).argmax(1) == target).sum().item()
    return correct / len(val_loader.dataset)


def main_worker(args):
    model = models.__dict__[args.arch]()
    # freeze all layers but the last fc
    for name, param in model.named_parameters():
        if name not in ["fc.weight", "fc.bias"]:
            param.requires_grad = False
    model.fc.weight.data.normal_(mean=0.0, std=0.01)
    model.fc.bias.data.zero_()
    state_dict = torch.load(args.pretrained, map_location="cpu")["state_dict"]
    model.load_state_dict(state_dict, strict=False)
    parameters = list(filter(lambda p: p.requires_grad, model.parameters()))
    optimizer = torch.optim.SGD(parameters, args.lr, momentum=0.9, weight_decay=0.0)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        train(args.train_loader, model, criterion, optimizer, epoch, args)
        acc1 = validate(args.val_loader, model, criterion, args)
        print(epoch, acc1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-a", "--arch", default="resnet50")
    parser.add_argument("--lr", default=30.0, type=float)
    parser.add_argument("--epochs", default=100, type=int)
    parser.add_argument("--pretrained", default="", type=str)
    main_worker(parser.parse_args())
