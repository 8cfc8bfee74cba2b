import argparse

import torch
import torch.nn as nn

import net


def train(train_loader, model, criterion, optimizer, args):
    # switch to train mode
    model.train()
    if args.freeze_BN:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
    for i, (input, target) in enumerate(train_loader):
        input = input.cuda(args.gpu, non_blocking=True)
        target = target.cuda(args.gpu, non_blocking=True)
        output = model(input)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def validate(test_loader, model, args):
    model.eval()
    feats = []
    with torch.no_grad():
        for input, target in test_loader:
            feats.append(model(input.cuda(args.gpu, non_blocking=True)))
    return torch.cat(feats)


def main():
    parser = argparse.ArgumentParser(description="PyTorch Training")
    parser.add_argument("--freeze_BN", default=True, type=bool)
    parser.add_argument("--epochs", default=50, type=int)
    parser.add_argument("--gpu", default=0, type=int)
    parser.add_argument("--dim", default=64, type=int)
    args = parser.parse_args()
    model = net.bninception(args.dim)
    model = model.cuda(args.gpu)
    criterion = nn.CrossEntropyLoss().cuda(args.gpu)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, eps=0.01)
    for epoch in range(args.epochs):
        train(args.train_loader, model, criterion, optimizer, args)
        if (epoch + 1) % 10 == 0:
            validate(args.test_loader, model, args)


if __name__ == "__main__":
    main()
