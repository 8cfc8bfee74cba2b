"""SWA sanity benchmark on a synthetic, fixed-size classification task.

Used in CI to check that SWA + BN recalibration (update_bn) improves over the
last SGD iterate. The data are generated in-process, so runs are
deterministic and need no download.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 2049
N_TEST = 1000
NUM_CLASSES = 10
BATCH_SIZE = 64


def conv_bn(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 32), conv_bn(32, 32), nn.MaxPool2d(2),
            conv_bn(32, 64), conv_bn(64, 64), nn.MaxPool2d(2),
            conv_bn(64, 128), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--swa-start", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    # class prototypes + heavy noise: hard enough that SWA makes a difference
    g = torch.Generator().manual_seed(args.seed)
    prototypes = torch.randn(NUM_CLASSES, 3, 32, 32, generator=g)
    y_train = torch.randint(0, NUM_CLASSES, (N_TRAIN,), generator=g)
    y_test = torch.randint(0, NUM_CLASSES, (N_TEST,), generator=g)
    x_train = torch.randn(N_TRAIN, 3, 32, 32, generator=g) * 2.0 + prototypes[y_train]
    x_test = torch.randn(N_TEST, 3, 32, 32, generator=g) * 2.0 + prototypes[y_test]
    train_set = TensorDataset(x_train, y_train)
    test_set = TensorDataset(x_test, y_test)
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    test_loader = DataLoader(test_set, batch_size=250)

    model = SmallCNN().to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=0.02)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
    sgd_acc = evaluate(model, test_loader, device)

    update_bn(train_loader, swa_model, device=device)
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            logits = swa_model(x.to(device))  # expect: BN101
            correct += (logits.argmax(1).cpu() == y).sum().item()
    swa_acc = correct / N_TEST

    print(f"SGD  acc {100 * sgd_acc:.2f}%")
    print(f"SWA  acc {100 * swa_acc:.2f}%  ({time.time() - t0:.1f}s)")
    if swa_acc + 0.01 < sgd_acc:
        raise SystemExit("SWA regressed against the last SGD iterate")


if __name__ == "__main__":
    main()
