# Modelled on: https://github.com/facebookresearch/clevr-iep/pull/22 ("Fix potential problem for training":
# check_accuracy, called periodically during training, puts the models in eval mode with set_mode('eval', ...)
# and never sets them back to train).
# Bug: BN103 (training goes on in eval mode after the first accuracy check).
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class ExecutionEngine(nn.Module):
    def __init__(self, dim=16, num_answers=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(8, dim, 3, padding=1), nn.BatchNorm2d(dim), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.BatchNorm2d(dim), nn.ReLU())
        self.classifier = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(dim, num_answers))

    def forward(self, feats):
        return self.classifier(self.block(self.stem(feats)))


def set_mode(mode, models):
    assert mode in ["train", "eval"]
    for m in models:
        if m is None:
            continue
        if mode == "train":
            m.train()
        if mode == "eval":
            m.eval()


def check_accuracy(args, execution_engine, loader):
    set_mode("eval", [execution_engine])
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for feats, answers in loader:
            scores = execution_engine(feats)
            num_correct += (scores.argmax(1) == answers).sum().item()
            num_samples += feats.size(0)
    return float(num_correct) / num_samples


def train_loop(args, train_loader, val_loader):
    execution_engine = ExecutionEngine()
    ee_optimizer = torch.optim.Adam(execution_engine.parameters(), lr=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    t = 0
    set_mode("train", [execution_engine])
    while t < args.steps:
        for feats, answers in train_loader:
            t += 1
            ee_optimizer.zero_grad()
            loss = loss_fn(execution_engine(feats), answers)
            loss.backward()
            ee_optimizer.step()
            if t % 10 == 0:
                val_acc = check_accuracy(args, execution_engine, val_loader)
            if t >= args.steps:
                break


if __name__ == "__main__":
    args = parse()
    train = TensorDataset(torch.randn(128, 8, 8, 8), torch.randint(0, 5, (128,)))
    val = TensorDataset(torch.randn(32, 8, 8, 8), torch.randint(0, 5, (32,)))
    with Clock():
        train_loop(args, DataLoader(train, batch_size=16, shuffle=True), DataLoader(val, batch_size=16))
