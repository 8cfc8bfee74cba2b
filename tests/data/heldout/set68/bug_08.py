"""A minimal fastai-style Learner with callbacks, used to fine-tune a
pretrained body + new head on a small plant-disease dataset.
"""
import argparse
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class CancelFitException(Exception):
    pass


class Callback:
    order = 0
    learn = None


class DataLoaders:
    def __init__(self, train, valid):
        self.train, self.valid = train, valid


class Learner:
    def __init__(self, model, dls, loss_func, opt_func, lr, cbs=()):
        self.model, self.dls, self.loss_func = model, dls, loss_func
        self.opt_func, self.lr = opt_func, lr
        self.cbs = sorted(cbs, key=lambda c: c.order)
        for cb in self.cbs:
            cb.learn = self

    def __call__(self, event):
        for cb in self.cbs:
            handler = getattr(type(cb), event, None)
            if handler is not None:
                handler(cb)

    def one_batch(self):
        self.preds = self.model(self.xb)
        self.loss = self.loss_func(self.preds, self.yb)
        if self.training:
            self.loss.backward()
            self.opt.step()
            self.opt.zero_grad()
        self("after_batch")

    def one_epoch(self, train):
        self.training = train
        self.model.train(train)
        dl = self.dls.train if train else self.dls.valid
        self("before_train" if train else "before_validate")
        with torch.set_grad_enabled(train):
            for self.iter, (self.xb, self.yb) in enumerate(dl):
                self.one_batch()
        self("after_train" if train else "after_validate")

    def fit(self, n_epoch):
        self.n_epoch = n_epoch
        self.opt = self.opt_func(self.model.parameters(), lr=self.lr)
        try:
            self("before_fit")
            for self.epoch in range(n_epoch):
                self("before_epoch")
                self.one_epoch(True)
                self.one_epoch(False)
                self("after_epoch")
        except CancelFitException:
            pass
        finally:
            self("after_fit")


class FreezeBody(Callback):
    """Train only the head for the first ``unfreeze_at`` epochs."""

    def __init__(self, unfreeze_at=2):
        self.unfreeze_at = unfreeze_at

    def before_fit(self):
        for p in self.learn.model.body.parameters():
            p.requires_grad = False  # expect: BN105

    def before_epoch(self):
        if self.learn.epoch == self.unfreeze_at:
            for p in self.learn.model.body.parameters():
                p.requires_grad = True


class AccuracyLogger(Callback):
    order = 10

    def before_validate(self):
        self.correct, self.seen = 0, 0

    def after_batch(self):
        if not self.learn.training:
            self.correct += (self.learn.preds.argmax(1) == self.learn.yb).sum().item()
            self.seen += self.learn.yb.numel()

    def after_validate(self):
        print(f"epoch {self.learn.epoch}: valid acc {self.correct / self.seen:.4f}")


def make_body():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class PlantNet(nn.Module):
    def __init__(self, n_classes=38):
        super().__init__()
        self.body = make_body()
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.head(self.body(x))


def predict_test_set(ckpt, loader):
    model = PlantNet()
    model.load_state_dict(torch.load(ckpt, map_location="cpu"))
    outputs = []
    with torch.no_grad():
        for xb, _ in loader:
            outputs.append(model(xb).softmax(-1))  # expect: BN101
    return torch.cat(outputs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pretrained-body", default="body_imagenet.pt")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    xs, ys = torch.randn(3000, 3, 64, 64, generator=g), torch.randint(0, 38, (3000,), generator=g)
    train = DataLoader(TensorDataset(xs[:2500], ys[:2500]), batch_size=64, shuffle=True)
    valid = DataLoader(TensorDataset(xs[2500:], ys[2500:]), batch_size=128)
    dls = DataLoaders(train, valid)

    model = PlantNet()
    model.body.load_state_dict(torch.load(args.pretrained_body, map_location="cpu"))
    learn = Learner(model, dls, F.cross_entropy, partial(torch.optim.AdamW, weight_decay=0.01),
                    lr=3e-3, cbs=[FreezeBody(unfreeze_at=2), AccuracyLogger()])
    learn.fit(args.epochs)
    torch.save(model.state_dict(), "plantnet.pt")

    probs = predict_test_set("plantnet.pt", valid)
    print("mean max prob:", probs.max(1).values.mean().item())


if __name__ == "__main__":
    main()
