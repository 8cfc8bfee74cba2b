"""VGG-11-BN for CIFAR-10, ported from a tf.keras notebook.

The original notebook used keras.Sequential + model.compile() / model.fit() /
model.evaluate(). To keep the training script readable for the rest of the
team, this port keeps a tiny Keras-like wrapper around the nn.Module.
"""
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

# keras.layers.BatchNormalization() defaults, copied from the notebook
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3

VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def conv_bn_relu(in_ch, out_ch):
    # Conv2D(filters, 3, padding="same", use_bias=False) -> BatchNormalization -> ReLU
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, eps=BN_EPSILON, momentum=BN_MOMENTUM),  # expect: BN205
        nn.ReLU(inplace=True),
    )


class VGG11BN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        layers = []
        in_ch = 3
        for v in VGG11:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers.append(conv_bn_relu(in_ch, v))
                in_ch = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(512, 512),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class KerasStyleModel:
    """Just enough of the keras.Model API to run the notebook cells unchanged."""

    def __init__(self, net, device):
        self.net = net.to(device)
        self.device = device
        self.optimizer = None
        self.loss_fn = None

    def compile(self, optimizer, loss):
        self.optimizer = optimizer
        self.loss_fn = loss

    def fit(self, train_loader, epochs=1, validation_data=None, verbose=1):
        history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        for epoch in range(epochs):
            self.net.train()
            seen, loss_sum, correct = 0, 0.0, 0
            for x, y in train_loader:
                x, y = x.to(self.device), y.to(self.device)
                self.optimizer.zero_grad(set_to_none=True)
                logits = self.net(x)
                loss = self.loss_fn(logits, y)
                loss.backward()
                self.optimizer.step()
                seen += x.size(0)
                loss_sum += loss.item() * x.size(0)
                correct += (logits.detach().argmax(1) == y).sum().item()
            history["loss"].append(loss_sum / seen)
            history["accuracy"].append(correct / seen)
            if validation_data is not None:
                val_loss, val_acc = self.evaluate(validation_data, verbose=0)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_acc)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs} - loss: {history['loss'][-1]:.4f}"
                      f" - accuracy: {history['accuracy'][-1]:.4f}")
        return history

    def evaluate(self, loader, verbose=1):
        # keras model.evaluate() always runs the layers in inference mode
        seen, loss_sum, correct = 0, 0.0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(self.device), y.to(self.device)
                logits = self.net(x)  # expect: BN101
                loss_sum += self.loss_fn(logits, y).item() * x.size(0)
                correct += (logits.argmax(1) == y).sum().item()
                seen += x.size(0)
        if verbose:
            print(f"loss: {loss_sum / seen:.4f} - accuracy: {correct / seen:.4f}")
        return loss_sum / seen, correct / seen

    def predict(self, x, batch_size=256):
        self.net.eval()
        outputs = []
        with torch.no_grad():
            for i in range(0, x.size(0), batch_size):
                chunk = x[i:i + batch_size].to(self.device)
                outputs.append(self.net(chunk).softmax(dim=1).cpu())
        return torch.cat(outputs)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    normalize = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                          T.ToTensor(), normalize])
    test_tf = T.Compose([T.ToTensor(), normalize])
    train_set = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)
    test_loader = DataLoader(test_set, batch_size=512, shuffle=False, num_workers=4)

    model = KerasStyleModel(VGG11BN(num_classes=10), device)
    model.compile(
        optimizer=torch.optim.Adam(model.net.parameters(), lr=1e-3),
        loss=nn.CrossEntropyLoss(),
    )
    model.fit(train_loader, epochs=30, validation_data=test_loader)
    model.evaluate(test_loader)
    torch.save(model.net.state_dict(), "vgg11bn_cifar10.pt")


if __name__ == "__main__":
    main()
