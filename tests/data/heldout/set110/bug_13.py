# %% [markdown]
# # Porting the Keras "Simple MNIST convnet" example to PyTorch
#
# Side-by-side port of keras.io/examples/vision/mnist_convnet (with the
# BatchNormalization variant from the course slides). Keras code in comments.

# %%
# !pip install -q torchmetrics
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset
import torchvision
import torchmetrics

# %matplotlib inline
import matplotlib.pyplot as plt

# %%
num_classes = 10
input_shape = (1, 28, 28)
batch_size = 128
epochs = 15

mnist_train = torchvision.datasets.MNIST("data", train=True, download=True)
mnist_test = torchvision.datasets.MNIST("data", train=False, download=True)
x_train = mnist_train.data.float().unsqueeze(1) / 255.0
y_train = mnist_train.targets
x_test = mnist_test.data.float().unsqueeze(1) / 255.0
y_test = mnist_test.targets
print("x_train shape:", tuple(x_train.shape))

# keras: validation_split=0.1
n_val = len(x_train) // 10
train_ds = TensorDataset(x_train[n_val:], y_train[n_val:])
val_ds = TensorDataset(x_train[:n_val], y_train[:n_val])
train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)
val_loader = DataLoader(val_ds, batch_size=512)
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)


# %%
def conv_bn(in_c, out_c, k=3):
    # layers.Conv2D(out_c, kernel_size=(3, 3), use_bias=False)
    # layers.BatchNormalization()   # keras defaults: momentum=0.99, epsilon=1e-3
    # layers.Activation("relu")
    return nn.Sequential(
        nn.Conv2d(in_c, out_c, k, bias=False),
        nn.BatchNorm2d(out_c, eps=1e-3, momentum=0.99),  # expect: BN205
        nn.ReLU(),
    )


def build_model():
    return nn.Sequential(
        conv_bn(1, 32),
        nn.MaxPool2d(2),
        conv_bn(32, 64),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(64 * 5 * 5, num_classes),
    )


model = build_model()
print(model)

# %%
# model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
acc_metric = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)

# %%
# model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)
for epoch in range(epochs):
    model.train()
    for xb, yb in train_loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    acc_metric.reset()
    with torch.no_grad():
        for xb, yb in val_loader:
            acc_metric.update(model(xb), yb)
    print(f"Epoch {epoch + 1}/{epochs} - loss: {loss.item():.4f} - val_accuracy: {acc_metric.compute():.4f}")

torch.save(model.state_dict(), "mnist_convnet_bn.pt")

# %% [markdown]
# ## Evaluate the trained model
# Fresh kernel: rebuild the model and reload the saved weights.

# %%
model = build_model()
model.load_state_dict(torch.load("mnist_convnet_bn.pt"))
# score = model.evaluate(x_test, y_test, verbose=0)  -> keras sets training=False
model.training = False  # expect: BN102

# %%
test_loss, n_correct = 0.0, 0
with torch.no_grad():
    for xb, yb in test_loader:
        logits = model(xb)  # expect: BN101
        test_loss += F.cross_entropy(logits, yb, reduction="sum").item()
        n_correct += (logits.argmax(1) == yb).sum().item()
print("Test loss:", test_loss / len(x_test))
print("Test accuracy:", n_correct / len(x_test))
