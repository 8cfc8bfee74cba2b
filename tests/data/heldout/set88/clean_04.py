# Fine-tuning ResNet-50 with a frozen backbone (fixed).
#
# requires_grad=False does not stop BatchNorm from updating its running
# statistics in train mode; the frozen backbone's BN layers are now put back
# into eval mode after every model.train().
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

NUM_CLASSES = 37
EPOCHS = 10
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
tfm_train = transforms.Compose([
    transforms.RandomResizedCrop(224),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    normalize,
])
tfm_val = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    normalize,
])

train_ds = datasets.ImageFolder("data/pets/train", tfm_train)
val_ds = datasets.ImageFolder("data/pets/val", tfm_val)
train_dl = DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=8)
val_dl = DataLoader(val_ds, batch_size=64, shuffle=False, num_workers=8)

model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, NUM_CLASSES)
model = model.to(device)

optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(EPOCHS):
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    train_loss = 0.0
    for x, y in train_dl:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in val_dl:
            x, y = x.to(device), y.to(device)
            pred = model(x).argmax(dim=1)
            correct += (pred == y).sum().item()
            total += y.numel()
    print(f"epoch {epoch + 1}: train loss {train_loss / len(train_dl):.4f} val acc {correct / total:.4f}")
