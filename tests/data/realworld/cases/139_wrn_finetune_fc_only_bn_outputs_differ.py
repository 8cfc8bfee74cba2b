import copy

import torch
import torch.nn as nn
import torchvision


def finetune_last_layer(model, train_loader, epochs=5, num_classes=10):
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
    return model


def compare_bn1(original, finetuned, images):
    original.eval()
    finetuned.eval()
    with torch.no_grad():
        out_a = original.bn1(original.conv1(images))
        out_b = finetuned.bn1(finetuned.conv1(images))
    # expected identical, since only fc was trained
    print((out_a - out_b).abs().max())


if __name__ == "__main__":
    pretrained = torchvision.models.wide_resnet50_2(pretrained=True)
    original = copy.deepcopy(pretrained)
    finetuned = finetune_last_layer(pretrained, torch.load("cifar_train_loader.pt"))
    compare_bn1(original, finetuned, torch.randn(8, 3, 224, 224))
