# mnist cnn, builds the layers with a list (saw this in a github repo)
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms
import matplotlib.pyplot as plt

device = "cuda" if torch.cuda.is_available() else "cpu"

full = datasets.MNIST("mnist", train=True, download=True, transform=transforms.ToTensor())
train_part, val_part = random_split(full, [50000, 10000])
train_loader = DataLoader(train_part, batch_size=64, shuffle=True)
val_loader = DataLoader(val_part, batch_size=1000)


def build_model():
    layers = []
    layers.append(nn.Conv2d(1, 32, 3, padding=1, bias=False))
    layers.append(nn.BatchNorm2d(32, 0.1))  # expect: BN206
    layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(2))
    layers.append(nn.Conv2d(32, 64, 3, padding=1, bias=False))
    layers.append(nn.BatchNorm2d(32))  # expect: BN201
    layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(2))
    layers.append(nn.Flatten())
    layers.append(nn.Linear(64 * 7 * 7, 128))
    layers.append(nn.ReLU())
    layers.append(nn.Linear(128, 10))
    return nn.Sequential(*layers)


model = build_model().to(device)
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
loss_fn = nn.CrossEntropyLoss()


def validate():
    global model
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            xb, yb = xb.to(device), yb.to(device)
            correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / len(val_loader.dataset)


train_losses = []
val_accs = []
model.train()
for epoch in range(10):
    running = 0.0
    for batch_idx, (xb, yb) in enumerate(train_loader):
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item()
        if batch_idx % 100 == 0:
            print(f"epoch {epoch} batch {batch_idx} loss {loss.item():.4f}")
    train_losses.append(running / len(train_loader))
    acc = validate()  # expect: BN103
    val_accs.append(acc)
    print("epoch", epoch, "val acc", acc)

plt.plot(train_losses, label="train loss")
plt.plot(val_accs, label="val acc")
plt.legend()
plt.savefig("curves.png")
plt.show()

torch.save(model, "mnist_list_cnn.pt")
