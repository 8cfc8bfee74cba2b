"""Quantization-aware fine-tuning of torchvision's quantizable ResNet-18 on a 37-class pets dataset.

Follows the recipe from the PyTorch QAT tutorial: fuse in train mode with the QAT fuser,
train a few epochs with fake-quant, freeze observers and BN statistics near the end,
convert a copy in eval mode after every epoch to track int8 accuracy.
"""
import copy
import os

import torch
import torch.nn as nn
import torch.ao.quantization as tq
import torch.ao.nn.intrinsic.qat as nniqat
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models.quantization import resnet18 as q_resnet18
from torchvision.models.quantization import ResNet18_QuantizedWeights  # noqa: F401  (for reference)
from torchvision.models import ResNet18_Weights

NUM_CLASSES = 37
EPOCHS = 8
FREEZE_OBSERVERS_AT = 4
FREEZE_BN_AT = 3
BATCH = 64
DEVICE = "cpu"  # fake-quant training on CPU is fine for this size


def loaders(root="data/oxford_pets"):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    train = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    test = datasets.ImageFolder(os.path.join(root, "test"), test_tf)
    return (DataLoader(train, batch_size=BATCH, shuffle=True, num_workers=8, drop_last=True),
            DataLoader(test, batch_size=128, num_workers=8))


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    running = 0.0
    for i, (x, y) in enumerate(loader):
        out = model(x.to(DEVICE))
        loss = criterion(out, y.to(DEVICE))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / (i + 1)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def build_qat_model():
    model = q_resnet18(weights=ResNet18_Weights.IMAGENET1K_V1, quantize=False)
    model.fc = nn.Linear(model.fc.in_features, NUM_CLASSES)
    model.train()
    # fuse_model(is_qat=True) uses the QAT fusers, which keep BN as a trainable part of ConvBn
    model.fuse_model(is_qat=True)
    model.qconfig = tq.get_default_qat_qconfig("x86")
    tq.prepare_qat(model, inplace=True)
    return model


def main():
    train_loader, test_loader = loaders()
    qat_model = build_qat_model().to(DEVICE)
    optimizer = torch.optim.SGD(qat_model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-5)
    criterion = nn.CrossEntropyLoss()

    best = 0.0
    for epoch in range(EPOCHS):
        loss = train_one_epoch(qat_model, train_loader, optimizer, criterion)
        if epoch >= FREEZE_OBSERVERS_AT:
            qat_model.apply(tq.disable_observer)
        if epoch >= FREEZE_BN_AT:
            # use running mean/var from here on (ConvBn modules keep this across .train())
            qat_model.apply(nniqat.freeze_bn_stats)

        quantized = tq.convert(copy.deepcopy(qat_model).eval(), inplace=False)
        acc = evaluate(quantized, test_loader)
        print(f"epoch {epoch}: loss {loss:.4f} int8 top-1 {acc:.4f}")
        if acc > best:
            best = acc
            torch.jit.save(torch.jit.script(quantized), "pets_r18_int8.pt")
    print(f"best int8 top-1 {best:.4f}")


if __name__ == "__main__":
    main()
