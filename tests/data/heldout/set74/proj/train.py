"""Train the defect classifier, then fine-tune on the hardest training examples."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

import config
import data


class DefectNet(nn.Module):
    def __init__(self, widths=config.MODEL["widths"], num_classes=config.NUM_CLASSES):
        super().__init__()
        layers = []
        in_ch = config.IN_CHANNELS
        for w in widths:
            layers += [
                nn.Conv2d(in_ch, w, 3, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            in_ch = w
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(config.MODEL["dropout"])
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.fc(self.dropout(x))


def run_epochs(model, loader, epochs, lr):
    optimizer = torch.optim.SGD(
        model.parameters(), lr=lr, momentum=config.TRAIN["momentum"], weight_decay=config.TRAIN["weight_decay"]
    )
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"  epoch {epoch}: loss {loss.item():.4f}")


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


@torch.no_grad()
def find_hard_examples(model):
    model.eval()
    ds = data.train_dataset()
    wrong = []
    for idx in range(len(ds)):
        x, y = ds[idx]
        if model(x.unsqueeze(0)).argmax(1).item() != y:
            wrong.append(idx)
    return wrong


def main():
    torch.manual_seed(config.SEED)
    model = DefectNet()
    train_loader = data.train_loader()
    val_loader = data.val_loader()

    print("main training")
    for start in range(0, config.TRAIN["epochs"], config.EVAL_EVERY):
        run_epochs(model, train_loader, config.EVAL_EVERY, config.TRAIN["lr"])
        print(f"val accuracy after {start + config.EVAL_EVERY} epochs: {evaluate(model, val_loader):.3f}")

    wrong = find_hard_examples(model)
    print(f"{len(wrong)} hard examples")
    if wrong:
        hard_cfg = config.HARD_EXAMPLES
        hard_loader = DataLoader(data.hard_subset(wrong), batch_size=hard_cfg["batch_size"], shuffle=True)  # expect: BN301
        run_epochs(model, hard_loader, hard_cfg["epochs"], hard_cfg["lr"])
        print(f"val accuracy after hard-example pass: {evaluate(model, val_loader):.3f}")

    torch.save(model.state_dict(), config.checkpoint_path("defectnet"))


if __name__ == "__main__":
    main()
