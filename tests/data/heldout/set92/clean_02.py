"""Lab 6 (solution): the Keras "Simple MNIST convnet" + BatchNormalization, in PyTorch.

Porting notes
-------------
* Keras BatchNormalization(momentum=0.99) keeps 99% of the *old* running value;
  PyTorch's ``momentum`` is the weight of the *new* batch, so 0.99 -> 1 - 0.99.
* Keras epsilon defaults to 1e-3 (PyTorch: 1e-5).
* Dense layers followed by BN get ``use_bias=False`` in Keras and ``bias=False`` here.
* The optimizer momentum (0.9) is an SGD thing and has nothing to do with BN.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

KERAS_BN_MOMENTUM = 0.99
BN_MOMENTUM = 1 - KERAS_BN_MOMENTUM
BN_EPS = 1e-3
BATCH_SIZE = 128
EPOCHS = 15
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def keras_bn2d(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class KerasConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, bias=False),
            keras_bn2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, bias=False),
            nn.BatchNorm2d(64, 1e-3),          # positional eps, same as keras epsilon
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.BatchNorm1d(64 * 5 * 5, eps=BN_EPS, momentum=BN_MOMENTUM),   # BN on the flattened features
            nn.Dropout(0.5),
            nn.Linear(64 * 5 * 5, 128, bias=False),
            nn.BatchNorm1d(128, eps=BN_EPS, momentum=BN_MOMENTUM),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def fit(model, loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        total, correct, n = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(x)
        print(f"Epoch {epoch + 1}/{epochs} - loss: {total / n:.4f} - accuracy: {correct / n:.4f}")


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    loss, correct = 0.0, 0
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        logits = model(x)
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return loss / len(loader.dataset), correct / len(loader.dataset)


if __name__ == "__main__":
    tf = transforms.ToTensor()
    train_loader = DataLoader(datasets.MNIST("data", train=True, download=True, transform=tf),
                              batch_size=BATCH_SIZE, shuffle=True)
    test_loader = DataLoader(datasets.MNIST("data", train=False, download=True, transform=tf),
                             batch_size=1000)

    model = KerasConvNet().to(DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    fit(model, train_loader, optimizer, EPOCHS)
    print("Test loss / accuracy:", evaluate(model, test_loader))

    # Q4: two more epochs at a lower learning rate
    for group in optimizer.param_groups:
        group["lr"] = 5e-3
    fit(model, train_loader, optimizer, 2)

    # Q5: export for the web demo
    model.eval()
    dummy = torch.randn(1, 1, 28, 28, device=DEVICE)
    torch.onnx.export(
        model,
        dummy,
        "mnist_convnet.onnx",
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )
    print("Test loss / accuracy after fine-tuning:", evaluate(model, test_loader))
