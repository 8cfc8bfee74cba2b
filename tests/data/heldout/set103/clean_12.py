# Fashion-MNIST: feed-forward vs. CNN, both with BatchNorm ("Zero to GANs" style)
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from torchvision.datasets import FashionMNIST
from torch.utils.data import random_split, DataLoader

torch.manual_seed(43)

dataset = FashionMNIST(root='data/', download=True, transform=T.ToTensor())
test_dataset = FashionMNIST(root='data/', train=False, transform=T.ToTensor())

val_size = 10000
train_size = len(dataset) - val_size
train_ds, val_ds = random_split(dataset, [train_size, val_size])

batch_size = 128
train_loader = DataLoader(train_ds, batch_size, shuffle=True, num_workers=4, pin_memory=True)
val_loader = DataLoader(val_ds, batch_size * 2, num_workers=4, pin_memory=True)
test_loader = DataLoader(test_dataset, batch_size * 2, num_workers=4, pin_memory=True)


def accuracy(outputs, labels):
    _, preds = torch.max(outputs, dim=1)
    return torch.tensor(torch.sum(preds == labels).item() / len(preds))


class ImageClassificationBase(nn.Module):
    def training_step(self, batch):
        images, labels = batch
        out = self(images)
        return F.cross_entropy(out, labels)

    def validation_step(self, batch):
        images, labels = batch
        out = self(images)
        loss = F.cross_entropy(out, labels)
        acc = accuracy(out, labels)
        return {'val_loss': loss.detach(), 'val_acc': acc}

    def validation_epoch_end(self, outputs):
        epoch_loss = torch.stack([x['val_loss'] for x in outputs]).mean()
        epoch_acc = torch.stack([x['val_acc'] for x in outputs]).mean()
        return {'val_loss': epoch_loss.item(), 'val_acc': epoch_acc.item()}

    def epoch_end(self, epoch, result):
        print("Epoch [{}], train_loss: {:.4f}, val_loss: {:.4f}, val_acc: {:.4f}".format(
            epoch, result['train_loss'], result['val_loss'], result['val_acc']))


class MnistMLP(ImageClassificationBase):
    """Feed-forward net: Flatten -> Linear -> BatchNorm1d -> ReLU ..."""

    def __init__(self, in_size=784, hidden_sizes=(256, 64), out_size=10):
        super().__init__()
        h1, h2 = hidden_sizes
        self.net = nn.Sequential(OrderedDict([
            ('flatten', nn.Flatten()),
            ('fc1', nn.Linear(in_size, h1, bias=False)),
            ('bn1', nn.BatchNorm1d(h1)),
            ('relu1', nn.ReLU()),
            ('fc2', nn.Linear(h1, h2, bias=False)),
            ('bn2', nn.BatchNorm1d(h2, momentum=0.01)),
            ('relu2', nn.ReLU()),
            ('out', nn.Linear(h2, out_size)),
        ]))

    def forward(self, xb):
        return self.net(xb)


class FashionCnnModel(ImageClassificationBase):
    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(32, momentum=0.1),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),  # output: 32 x 14 x 14

            nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),  # output: 64 x 7 x 7

            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(256, 10))

    def forward(self, xb):
        return self.network(xb)


def get_default_device():
    return torch.device('cuda') if torch.cuda.is_available() else torch.device('cpu')


def to_device(data, device):
    if isinstance(data, (list, tuple)):
        return [to_device(x, device) for x in data]
    return data.to(device, non_blocking=True)


class DeviceDataLoader():
    def __init__(self, dl, device):
        self.dl = dl
        self.device = device

    def __iter__(self):
        for b in self.dl:
            yield to_device(b, self.device)

    def __len__(self):
        return len(self.dl)


@torch.no_grad()
def evaluate(model, val_loader):
    model.eval()
    outputs = [model.validation_step(batch) for batch in val_loader]
    return model.validation_epoch_end(outputs)


def fit(epochs, lr, model, train_loader, val_loader, opt_func=torch.optim.SGD):
    history = []
    optimizer = opt_func(model.parameters(), lr)
    for epoch in range(epochs):
        model.train()
        train_losses = []
        for batch in train_loader:
            loss = model.training_step(batch)
            train_losses.append(loss)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        result = evaluate(model, val_loader)
        result['train_loss'] = torch.stack(train_losses).mean().item()
        model.epoch_end(epoch, result)
        history.append(result)
    return history


def predict_image(img, model):
    xb = to_device(img.unsqueeze(0), device)
    yb = model(xb)
    _, preds = torch.max(yb, dim=1)
    return dataset.classes[preds[0].item()]


device = get_default_device()
train_loader = DeviceDataLoader(train_loader, device)
val_loader = DeviceDataLoader(val_loader, device)
test_loader = DeviceDataLoader(test_loader, device)

for model_cls in (MnistMLP, FashionCnnModel):
    model = to_device(model_cls(), device)
    history = [evaluate(model, val_loader)]
    history += fit(10, 0.001, model, train_loader, val_loader, torch.optim.Adam)
    print(model_cls.__name__, "test:", evaluate(model, test_loader))
    torch.save(model.state_dict(), f'fashion-{model_cls.__name__.lower()}.pth')

# a few single-image predictions with the last (CNN) model
model.eval()
for i in (0, 1839, 193):
    img, label = test_dataset[i]
    print('Label:', dataset.classes[label], ', Predicted:', predict_image(img, model))
