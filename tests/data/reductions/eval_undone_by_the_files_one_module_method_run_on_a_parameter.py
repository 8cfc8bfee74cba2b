from torch import nn
from torchvision.models import resnet18


def hessian(model, criterion, data):
    model.eval()


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = resnet18(num_classes=10)
        self.loss_fn = nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        img, lbl = batch
        loss = self.loss_fn(self.model(img), lbl)
        if batch_idx % 10 == 0:
            hessian(self, self.loss_fn, data=(img, lbl))
            self.train()
        return loss


def fit(model, loader, optimizer):
    model.train()
    for i, batch in enumerate(loader):
        optimizer.zero_grad()
        model.training_step(batch, i).backward()
        optimizer.step()
