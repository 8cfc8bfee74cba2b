"""Step-based training engine with periodic evaluation inside the loop.

The evaluation helper remembers the mode it found and restores it, so calling
it in the middle of training leaves the model in training mode.
"""
import itertools
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_TRAIN = 1000
NUM_VAL = 200
BATCH_SIZE = 64  # 1000 % 64 == 40, no single-sample tail batch
IMG = 28


class ShapesDataset(Dataset):
    """Procedurally drawn squares / crosses / circles on a 28x28 canvas."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 3, (n,), generator=g)
        self.offsets = torch.randint(4, 10, (n, 2), generator=g)
        self.noise = 0.1 * torch.randn(n, 1, IMG, IMG, generator=g)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.noise[i].clone()
        r, c = self.offsets[i].tolist()
        kind = self.labels[i].item()
        if kind == 0:
            img[0, r:r + 12, c:c + 12] += 1.0
        elif kind == 1:
            img[0, r + 5:r + 7, c:c + 12] += 1.0
            img[0, r:r + 12, c + 5:c + 7] += 1.0
        else:
            yy, xx = torch.meshgrid(torch.arange(IMG), torch.arange(IMG), indexing="ij")
            img[0][((yy - r - 6) ** 2 + (xx - c - 6) ** 2) < 36] += 1.0
        return img, kind


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 7 * 7, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.fc(x.flatten(1))


def evaluate(model, loader):
    was_training = model.training
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    model.train(was_training)
    return correct / total


class StepTrainer:
    def __init__(self, model, train_loader, val_loader, max_steps=3000, eval_every=250):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, max_steps)
        self.history = []

    def fit(self):
        self.model.train()
        data = itertools.cycle(self.train_loader)
        tic = time.time()
        for step in range(1, self.max_steps + 1):
            x, y = next(data)
            loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            if step % self.eval_every == 0:
                acc = evaluate(self.model, self.val_loader)
                self.history.append((step, loss.item(), acc))
                print(f"step {step}: loss {loss.item():.4f} val_acc {acc:.4f} "
                      f"({time.time() - tic:.0f}s)")
        return self.history

    def predict_one(self, image):
        self.model.train(False)
        with torch.no_grad():
            return self.model(image.unsqueeze(0)).softmax(1).squeeze(0)

    def per_sample_errors(self, dataset):
        """Walk the validation set one sample at a time (model in eval mode)."""
        self.model.train(mode=False)
        loader = DataLoader(dataset, batch_size=1, shuffle=False)
        wrong = []
        with torch.no_grad():
            for idx, (x, y) in enumerate(loader):
                if self.model(x).argmax(1).item() != y.item():
                    wrong.append(idx)
        return wrong


if __name__ == "__main__":
    torch.manual_seed(0)
    train_set = ShapesDataset(NUM_TRAIN, seed=0)
    val_set = ShapesDataset(NUM_VAL, seed=1)
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=100)
    trainer = StepTrainer(SmallNet(), train_loader, val_loader)
    trainer.fit()
    print("misclassified:", trainer.per_sample_errors(val_set)[:20])
    print("probs of sample 0:", trainer.predict_one(val_set[0][0]).tolist())
