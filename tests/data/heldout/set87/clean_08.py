"""Progressive unfreezing of a torchvision ResNet-50 for a 10-class satellite (EuroSAT-RGB) task.

Frozen stages are frozen completely: no gradients AND their BatchNorm layers in eval mode.
Since model.train() flips every submodule back to training mode, the unfreezer is
re-applied right after it at the start of every epoch.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, models, transforms

STAGES = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")
# epoch -> number of trailing stages that are trainable
SCHEDULE = {0: 0, 2: 1, 4: 2, 7: 3}
EPOCHS = 12


class GradualUnfreezer:
    def __init__(self, model: nn.Module, stages=STAGES, schedule=SCHEDULE):
        self.model = model
        self.stages = list(stages)
        self.schedule = dict(sorted(schedule.items()))

    def n_trainable(self, epoch: int) -> int:
        n = 0
        for start, k in self.schedule.items():
            if epoch >= start:
                n = k
        return n

    def apply(self, epoch: int) -> list:
        k = self.n_trainable(epoch)
        frozen = self.stages[: len(self.stages) - k]
        for name in self.stages:
            module = getattr(self.model, name)
            trainable = name not in frozen
            for p in module.parameters():
                p.requires_grad_(trainable)
            if not trainable:
                module.eval()  # keep ImageNet BN statistics for frozen stages
        return frozen


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([
        transforms.Resize(224),
        transforms.RandomHorizontalFlip(),
        transforms.RandomVerticalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    full = datasets.ImageFolder(os.path.expanduser("~/data/EuroSAT_RGB"), tf)
    n_val = len(full) // 10
    train_set, val_set = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=6)

    model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    model.fc = nn.Linear(model.fc.in_features, len(full.classes))
    model.to(device)

    unfreezer = GradualUnfreezer(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)

    for epoch in range(EPOCHS):
        model.train()
        frozen = unfreezer.apply(epoch)
        print(f"epoch {epoch}: frozen = {frozen}")

        total, seen = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * y.size(0)
            seen += y.size(0)
        scheduler.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        print(f"  train loss {total / seen:.4f}  val acc {correct / len(val_set):.4f}")

    torch.save(model.state_dict(), "eurosat_r50_gradual.pth")


if __name__ == "__main__":
    main()
