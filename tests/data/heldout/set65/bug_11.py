# Dog breed identification - ResNet-50 fine-tuning with frozen BatchNorm statistics
# (Kaggle kernel; the pretrained running stats are kept because batches are small)
import os

import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms

DATA_DIR = "../input/dog-breed-identification"
NUM_CLASSES = 120
EPOCHS = 12
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

labels_df = pd.read_csv(os.path.join(DATA_DIR, "labels.csv"))
breeds = sorted(labels_df["breed"].unique())
breed_to_idx = {b: i for i, b in enumerate(breeds)}
labels_df = labels_df.sample(frac=1.0, random_state=0).reset_index(drop=True)
split = int(0.85 * len(labels_df))
train_df, valid_df = labels_df.iloc[:split], labels_df.iloc[split:]


class DogDataset(Dataset):
    def __init__(self, df, tfm):
        self.df = df.reset_index(drop=True)
        self.tfm = tfm

    def __len__(self):
        return len(self.df)

    def __getitem__(self, idx):
        row = self.df.iloc[idx]
        img = Image.open(os.path.join(DATA_DIR, "train", row["id"] + ".jpg")).convert("RGB")
        return self.tfm(img), breed_to_idx[row["breed"]]


normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_tfm = transforms.Compose([transforms.RandomResizedCrop(320), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
valid_tfm = transforms.Compose([transforms.Resize(352), transforms.CenterCrop(320), transforms.ToTensor(), normalize])
train_loader = DataLoader(DogDataset(train_df, train_tfm), batch_size=16, shuffle=True, num_workers=4)
valid_loader = DataLoader(DogDataset(valid_df, valid_tfm), batch_size=32, shuffle=False, num_workers=4)


class DogNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        self.backbone.fc = nn.Identity()
        self.head = nn.Sequential(
            nn.Linear(2048, 512, bias=False),
            nn.BatchNorm1d(256),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def freeze_bn(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


model = DogNet().to(device)
freeze_bn(model.backbone)

criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.SGD([
    {"params": model.backbone.parameters(), "lr": 1e-3},
    {"params": model.head.parameters(), "lr": 1e-2},
], momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

best_loss = float("inf")
for epoch in range(EPOCHS):
    model.train()  # expect: BN105
    train_loss = 0.0
    for images, targets in train_loader:
        images, targets = images.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * images.size(0)
    scheduler.step()

    model.eval()
    valid_loss, correct = 0.0, 0
    with torch.no_grad():
        for images, targets in valid_loader:
            images, targets = images.to(device), targets.to(device)
            logits = model(images)
            valid_loss += criterion(logits, targets).item() * images.size(0)
            correct += (logits.argmax(1) == targets).sum().item()
    valid_loss /= len(valid_loader.dataset)
    print(f"epoch {epoch}: train {train_loss / len(train_loader.dataset):.4f} "
          f"valid {valid_loss:.4f} acc {correct / len(valid_loader.dataset):.4f}")
    if valid_loss < best_loss:
        best_loss = valid_loss
        torch.save(model.state_dict(), "dognet_best.pt")
