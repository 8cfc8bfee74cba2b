"""Lab 6: port the Keras "Simple MNIST convnet" to PyTorch.

Original: https://keras.io/examples/vision/mnist_convnet/ (+ BatchNormalization
layers added in lecture 6).

Keras -> PyTorch cheat sheet from the slides:
    Conv2D(f, k)             -> nn.Conv2d(in_ch, f, k)
    BatchNormalization()     -> nn.BatchNorm2d(f, eps=1e-3, momentum=...)
    Dense(n)                 -> nn.Linear(in_features, n)
    model.fit(...)           -> the fit() function below
    model.evaluate(...)      -> evaluate()
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# Keras defaults
BN_MOMENTUM = 0.99
BN_EPS = 1e-3

NUM_CLASSES = 10
BATCH_SIZE = 128
EPOCHS = 15
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class KerasConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, bias=False),
            nn.BatchNorm2d(32, eps=BN_EPS, momentum=BN_MOMENTUM),  # expect: BN205
            nn.ReLU(),
            nn.MaxPool2d(2),
            # second block copied from my CIFAR notebook
            nn.Conv2d(32, 64, kernel_size=3, bias=False),
            nn.BatchNorm2d(64, eps=BN_EPS, momentum=0.01),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(64 * 5 * 5, 128, bias=False),
            nn.BatchNorm2d(128, eps=BN_EPS, momentum=0.01),  # expect: BN202
            nn.ReLU(),
            nn.Linear(128, NUM_CLASSES),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def get_loaders():
    tf = transforms.Compose([transforms.ToTensor()])  # keras example only rescales to [0, 1]
    train = datasets.MNIST("data", train=True, download=True, transform=tf)
    test = datasets.MNIST("data", train=False, download=True, transform=tf)
    return (
        DataLoader(train, batch_size=BATCH_SIZE, shuffle=True),
        DataLoader(test, batch_size=1000),
    )


def fit(model, loader, optimizer, epochs):
    """Roughly what keras' model.fit prints."""
    for epoch in range(epochs):
        model.train()
        total_loss, correct, n = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(x)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(x)
        print(f"Epoch {epoch + 1}/{epochs} - loss: {total_loss / n:.4f} - accuracy: {correct / n:.4f}")


def evaluate(model, loader):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            logits = model(x)
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    n = len(loader.dataset)
    return loss / n, correct / n


if __name__ == "__main__":
    train_loader, test_loader = get_loaders()
    model = KerasConvNet().to(DEVICE)
    print(model)

    # keras: model.compile(loss="categorical_crossentropy", optimizer="adam")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    fit(model, train_loader, optimizer, EPOCHS)

    test_loss, test_acc = evaluate(model, test_loader)
    print("Test loss:", test_loss)
    print("Test accuracy:", test_acc)

    # Q4: fine-tune two more epochs with a smaller learning rate
    for group in optimizer.param_groups:
        group["lr"] = 1e-4
    model.train()
    for epoch in range(2):
        for x, y in train_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"fine-tune epoch {epoch + 1}: last batch loss {loss.item():.4f}")

    # Q5: export for the web demo (onnxruntime-web)
    dummy = torch.randn(1, 1, 28, 28, device=DEVICE)
    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        "mnist_convnet.onnx",
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )
    print("exported mnist_convnet.onnx")
