"""Fashion-MNIST ConvNet, ported from the tf.keras tutorial model, with a fit()/evaluate() wrapper.

BatchNormalization(momentum=0.99, epsilon=1e-3) in Keras keeps 99% of the old
running value; PyTorch's momentum is the weight of the new batch, so it is
converted below.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

KERAS_BN_MOMENTUM = 0.99
BN_MOMENTUM = 1 - KERAS_BN_MOMENTUM
BN_EPSILON = 1e-3


def conv_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, eps=BN_EPSILON, momentum=BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, eps=BN_EPSILON, momentum=BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class FashionNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(conv_block(1, 32), conv_block(32, 64))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False),
            nn.BatchNorm1d(256, eps=BN_EPSILON, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class Trainer:
    """model.compile / model.fit / model.evaluate / model.predict, Keras style."""

    def __init__(self, net, optimizer, loss_fn, device):
        self.net = net.to(device)
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.device = device

    def fit(self, loader, epochs, validation_data=None):
        for epoch in range(epochs):
            self.net.train()
            total, seen = 0.0, 0
            for x, y in loader:
                x, y = x.to(self.device), y.to(self.device)
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.net(x), y)
                loss.backward()
                self.optimizer.step()
                total += loss.item() * x.size(0)
                seen += x.size(0)
            msg = f"Epoch {epoch + 1}/{epochs} - loss: {total / seen:.4f}"
            if validation_data is not None:
                val_loss, val_acc = self.evaluate(validation_data)
                msg += f" - val_loss: {val_loss:.4f} - val_accuracy: {val_acc:.4f}"
            print(msg)

    @torch.no_grad()
    def evaluate(self, loader):
        self.net.eval()
        total, correct, seen = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(self.device), y.to(self.device)
            logits = self.net(x)
            total += self.loss_fn(logits, y).item() * x.size(0)
            correct += (logits.argmax(1) == y).sum().item()
            seen += x.size(0)
        return total / seen, correct / seen

    @torch.no_grad()
    def predict(self, x, batch_size=1024):
        self.net.eval()
        chunks = [self.net(x[i:i + batch_size].to(self.device)).softmax(1).cpu()
                  for i in range(0, len(x), batch_size)]
        return torch.cat(chunks)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    train_set = datasets.FashionMNIST("data", train=True, download=True, transform=tf)
    test_set = datasets.FashionMNIST("data", train=False, download=True, transform=tf)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=2)
    test_loader = DataLoader(test_set, batch_size=1000)

    net = FashionNet()
    trainer = Trainer(net, torch.optim.Adam(net.parameters(), lr=1e-3), nn.CrossEntropyLoss(), device)
    trainer.fit(train_loader, epochs=15, validation_data=test_loader)
    test_loss, test_acc = trainer.evaluate(test_loader)
    print(f"test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")

    images = torch.stack([test_set[i][0] for i in range(16)])
    print(trainer.predict(images).argmax(1).tolist())
    torch.save(net.state_dict(), "fashion_net.pt")


if __name__ == "__main__":
    main()
