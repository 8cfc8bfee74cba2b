from pyhessian import hessian
from torch import nn
from torchvision.models import resnet18


def training_step(model, batch, batch_idx):
    img, lbl = batch
    loss = nn.functional.cross_entropy(model(img), lbl)
    if batch_idx % 10 == 0:
        hessian(model, nn.functional.cross_entropy, data=(img, lbl)).eigenvalues(top_n=1)
    return loss


def fit(model, loader, optimizer):
    model.train()
    for i, batch in enumerate(loader):
        optimizer.zero_grad()
        training_step(model, batch, i).backward()
        optimizer.step()


model = resnet18()
