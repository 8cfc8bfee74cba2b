import argparse

import torch
from torch.utils.data import DataLoader

from auto_deeplab import AutoDeeplab
from dataloaders.datasets import cityscapes


def make_data_loader(args, **kwargs):
    train_set = cityscapes.CityscapesSegmentation(args, split="train")
    val_set = cityscapes.CityscapesSegmentation(args, split="val")
    num_class = train_set.NUM_CLASSES
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, **kwargs)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, shuffle=False, **kwargs)
    return train_loader, val_loader, num_class


class Trainer(object):
    def __init__(self, args):
        self.args = args
        kwargs = {"num_workers": args.workers, "pin_memory": True, "drop_last": True}
        self.train_loader, self.val_loader, self.nclass = make_data_loader(args, **kwargs)
        model = AutoDeeplab(num_classes=self.nclass, num_layers=12, filter_multiplier=args.filter_multiplier)
        self.optimizer = torch.optim.SGD(model.weight_parameters(), args.lr, momentum=args.momentum)
        self.criterion = torch.nn.CrossEntropyLoss(ignore_index=255)
        if args.cuda:
            if torch.cuda.device_count() > 1 or args.load_parallel:
                model = torch.nn.DataParallel(model.cuda())
            model = model.cuda()
        self.model = model

    def training(self, epoch):
        self.model.train()
        for i, sample in enumerate(self.train_loader):
            image, target = sample["image"].cuda(), sample["label"].cuda()
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(image), target)
            loss.backward()
            self.optimizer.step()


def main():
    parser = argparse.ArgumentParser(description="PyTorch DeeplabV3Plus Training")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--load-parallel", type=int, default=0)
    parser.add_argument("--filter_multiplier", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=2, metavar="N")
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    args.cuda = torch.cuda.is_available()
    trainer = Trainer(args)
    for epoch in range(args.epochs):
        trainer.training(epoch)


if __name__ == "__main__":
    main()
