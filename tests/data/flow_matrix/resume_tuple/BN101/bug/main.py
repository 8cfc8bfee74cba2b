import torch

from net import Net
from train import train_epoch
from validation import val_epoch


def resume(path, begin_epoch, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["state_dict"])
    return checkpoint["epoch"] + 1, model, optimizer


def main(opt, train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion = torch.nn.CrossEntropyLoss()
    if opt.resume_path is not None:
        opt.begin_epoch, model, optimizer = resume(opt.resume_path, opt.begin_epoch, model, optimizer)
    for epoch in range(opt.begin_epoch, opt.n_epochs + 1):
        if not opt.no_train:
            train_epoch(train_loader, model, criterion, optimizer)
        if not opt.no_val:
            val_epoch(val_loader, model, criterion)
