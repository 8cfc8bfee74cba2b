import time

import torch
import torch.nn as nn
import torchvision


class BaseTrainer(object):
    def __init__(self, model, criterion, clip_value=16.0):
        super().__init__()
        self.model = model
        self.criterion = criterion
        self.clip_value = clip_value

    def train(self, epoch, data_loader, optimizer):
        for i, inputs in enumerate(data_loader):
            # keep the ImageNet BatchNorm statistics frozen for better cross-dataset generalization
            self.model.eval()
            self.criterion.train()
            inputs, targets = self._parse_data(inputs)
            loss, acc = self._forward(inputs, targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_value_(self.model.parameters(), self.clip_value)
            optimizer.step()

    def _parse_data(self, inputs):
        imgs, _, pids, _ = inputs
        return imgs.cuda(), pids.cuda()

    def _forward(self, inputs, targets):
        feature = self.model(inputs)
        loss, acc = self.criterion(feature, targets)
        return loss.mean(), acc.mean()


def main(args, train_loader, criterion):
    base = torchvision.models.resnet50(pretrained=True)
    model = nn.Sequential(*list(base.children())[:-3]).cuda()
    trainer = BaseTrainer(model, criterion)
    optimizer = torch.optim.SGD([{"params": model.parameters(), "lr": 0.005},
                                 {"params": criterion.parameters(), "lr": 0.5}], momentum=0.9)
    for epoch in range(args.epochs):
        t0 = time.time()
        trainer.train(epoch, train_loader, optimizer)
        print("epoch", epoch, "time", time.time() - t0)
