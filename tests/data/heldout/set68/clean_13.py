"""fastai-style training loop with callbacks for a bird-call spectrogram
classifier. The pretrained body is frozen for the first epochs: its weights
get no gradient and its BatchNorm layers are switched to eval mode. Because
the loop calls ``model.train()`` at the start of each training phase, the
freeze callback runs on the ``before_train`` event, which fires after it.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Callback:
    order = 0

    def __call__(self, event, learn):
        fn = getattr(self, event, None)
        if fn is not None:
            fn(learn)


class Learner:
    def __init__(self, model, train_dl, valid_dl, lr=1e-3, cbs=()):
        self.model, self.train_dl, self.valid_dl, self.lr = model, train_dl, valid_dl, lr
        self.cbs = sorted(cbs, key=lambda c: c.order)
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def callback(self, event):
        for cb in self.cbs:
            cb(event, self)

    def _train_phase(self):
        self.model.train()
        self.callback("before_train")
        for xb, yb in self.train_dl:
            loss = F.cross_entropy(self.model(xb), yb)
            loss.backward()
            self.opt.step()
            self.opt.zero_grad()
            self.callback("after_step")

    def _valid_phase(self):
        self.model.eval()
        correct = n = 0
        with torch.no_grad():
            for xb, yb in self.valid_dl:
                correct += (self.model(xb).argmax(1) == yb).sum().item()
                n += yb.numel()
        self.valid_acc = correct / n

    def fit(self, n_epochs):
        for self.epoch in range(n_epochs):
            self.callback("before_epoch")
            self._train_phase()
            self._valid_phase()
            self.callback("after_epoch")

    def get_preds(self, dl):
        self.model.eval()
        with torch.no_grad():
            return torch.cat([F.softmax(self.model(xb), dim=1) for xb, *_ in dl])


class FreezeBody(Callback):
    order = 1

    def __init__(self, epochs=3):
        self.epochs = epochs

    def before_train(self, learn):
        frozen = learn.epoch < self.epochs
        for p in learn.model.body.parameters():
            p.requires_grad_(not frozen)
        if frozen:
            for m in learn.model.body.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()


class OneCycle(Callback):
    def __init__(self, max_lr, total_steps):
        self.max_lr, self.total, self.step = max_lr, total_steps, 0

    def after_step(self, learn):
        self.step += 1
        pct = min(self.step / self.total, 1.0)
        lr = self.max_lr * (0.5 * (1 + math.cos(math.pi * pct)))
        for group in learn.opt.param_groups:
            group["lr"] = lr


class Printer(Callback):
    order = 99

    def after_epoch(self, learn):
        print(f"epoch {learn.epoch}: valid acc {learn.valid_acc:.4f}")


class BirdNet(nn.Module):
    def __init__(self, n_species=40):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(128, n_species)

    def forward(self, x):
        return self.head(self.body(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--body-ckpt", default="birdnet_body.pt")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(4200, 1, 128, 128, generator=g), torch.randint(0, 40, (4200,), generator=g)
    train_dl = DataLoader(TensorDataset(x[:3600], y[:3600]), batch_size=48, shuffle=True)
    valid_dl = DataLoader(TensorDataset(x[3600:], y[3600:]), batch_size=120)

    model = BirdNet()
    model.body.load_state_dict(torch.load(args.body_ckpt, map_location="cpu"))
    learn = Learner(model, train_dl, valid_dl, lr=2e-3,
                    cbs=[FreezeBody(epochs=3), OneCycle(2e-3, args.epochs * len(train_dl)), Printer()])
    learn.fit(args.epochs)

    probs = learn.get_preds(valid_dl)
    print("mean confidence:", probs.max(1).values.mean().item())
    torch.save(model.state_dict(), "birdnet.pt")


if __name__ == "__main__":
    main()
