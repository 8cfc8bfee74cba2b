#!/usr/bin/env python
"""
MNIST with lazy modules -- "stop computing in_channels by hand" (blog post).

nn.LazyConv2d / nn.LazyLinear / nn.LazyBatchNorm2d infer their input sizes
on the first forward pass, so the network can be written as a plain list of
output widths.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def build_net(widths=(32, 64, 128), hidden=256, num_classes=10):
    layers = []
    for w in widths:
        layers += [nn.LazyConv2d(w, kernel_size=3, padding=1, bias=False),
                   nn.LazyBatchNorm2d(),
                   nn.ReLU(inplace=True),
                   nn.MaxPool2d(2)]
    layers += [nn.Flatten(),
               nn.LazyLinear(hidden, bias=False),
               nn.BatchNorm1d(hidden),
               nn.ReLU(inplace=True),
               nn.Dropout(0.3),
               nn.LazyLinear(num_classes)]
    return nn.Sequential(*layers)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.cross_entropy(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset), 100. * correct / len(test_loader.dataset)))


def show_mistakes(model, device, loader, limit=10):
    """Walk the test set one image at a time and print the first mistakes."""
    model.eval()
    shown = 0
    with torch.inference_mode():
        for image, target in loader:
            pred = model(image.to(device)).argmax(1).item()
            if pred != target.item():
                print(f"wrong: true {target.item()} predicted {pred}")
                shown += 1
                if shown == limit:
                    break


def main():
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example (lazy modules)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N')
    parser.add_argument('--epochs', type=int, default=14, metavar='N')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
    parser.add_argument('--no-cuda', action='store_true', default=False)
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N')
    parser.add_argument('--save-model', action='store_true', default=False)
    args = parser.parse_args()

    use_cuda = not args.no_cuda and torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")

    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))
    ])
    dataset1 = datasets.MNIST('../data', train=True, download=True, transform=transform)
    dataset2 = datasets.MNIST('../data', train=False, transform=transform)
    train_loader = DataLoader(dataset1, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(dataset2, batch_size=args.test_batch_size)
    single_loader = DataLoader(dataset2, batch_size=1)

    model = build_net().to(device)
    # materialise the lazy parameters before building the optimizer
    # (eval mode so the dummy batch does not touch the running statistics;
    # train() switches back to training mode)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(2, 1, 28, 28, device=device))
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)

    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    show_mistakes(model, device, single_loader)

    if args.save_model:
        torch.save(model.state_dict(), "mnist_lazy_bn.pt")


if __name__ == '__main__':
    main()
