from copy import deepcopy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet18


# fastai/callback/core.py
class Callback:
    order = 0

    def __call__(self, event_name):
        f = getattr(self, event_name, None)
        if f is not None:
            f()

    @property
    def model(self):
        return self.learn.model


class TrainEvalCallback(Callback):
    "`Callback` that tracks the number of iterations done and properly sets training/eval mode"
    order = -10

    def before_fit(self):
        self.learn.train_iter, self.learn.pct_train = 0, 0.

    def after_batch(self):
        self.learn.pct_train += 1. / (self.learn.n_iter * self.learn.n_epoch)
        self.learn.train_iter += 1

    def before_train(self):
        "Set the model in training mode"
        self.learn.pct_train = self.learn.epoch / self.learn.n_epoch
        self.model.train()
        self.learn.training = True

    def before_validate(self):
        "Set the model in validation mode"
        self.model.eval()
        self.learn.training = False


# fastai/callback/training.py
bn_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def set_bn_eval(m: nn.Module, use_eval=True) -> None:
    "Set bn layers in eval mode for all recursive children of `m`."
    for l in m.children():
        if isinstance(l, bn_types) and not next(l.parameters()).requires_grad:
            if use_eval: l.eval()
            else:        l.train()
        set_bn_eval(l)


class BnFreeze(Callback):
    "Freeze moving average statistics in all non-trainable batchnorm layers."
    def before_epoch(self):
        set_bn_eval(self.model)


# fastai/learner.py
class Learner:
    def __init__(self, dls, model, loss_func=F.cross_entropy, lr=1e-3, train_bn=True, cbs=None):
        self.dls, self.model, self.loss_func, self.lr, self.train_bn = dls, model, loss_func, lr, train_bn
        self.training, self.opt, self.cbs = False, None, []
        for cb in [TrainEvalCallback] + list(cbs or []):
            self.add_cb(cb() if isinstance(cb, type) else cb)
        self.epoch, self.n_epoch = 0, 1

    def add_cb(self, cb):
        cb.learn = self
        self.cbs.append(cb)
        return self

    def __call__(self, event_name):
        for cb in sorted(self.cbs, key=lambda c: c.order):
            cb(event_name)

    def create_opt(self):
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)

    def freeze_to(self, n):
        groups = [self.model[0], self.model[1]]
        for g in groups[:n]:
            for m in g.modules():
                is_bn = isinstance(m, bn_types)
                for p in m.parameters(recurse=False):
                    p.requires_grad_(is_bn and self.train_bn)
        for g in groups[n:]:
            for p in g.parameters():
                p.requires_grad_(True)

    def freeze(self):
        self.freeze_to(-1)

    def _with_events(self, f, event_type):
        self(f'before_{event_type}')
        f()
        self(f'after_{event_type}')

    def all_batches(self):
        self.n_iter = len(self.dl)
        for self.iter, (xb, yb) in enumerate(self.dl):
            self.xb, self.yb = xb, yb
            self._with_events(self._do_one_batch, 'batch')

    def _do_one_batch(self):
        self.pred = self.model(self.xb)
        self.loss = self.loss_func(self.pred, self.yb)
        if not self.training:
            return
        self.loss.backward()
        self.opt.step()
        self.opt.zero_grad()

    def _do_epoch_train(self):
        self.dl = self.dls.train
        self._with_events(self.all_batches, 'train')

    def _do_epoch_validate(self):
        self.dl = self.dls.valid
        with torch.no_grad():
            self._with_events(self.all_batches, 'validate')

    def _do_epoch(self):
        self._do_epoch_train()
        self._do_epoch_validate()

    def _do_fit(self):
        for epoch in range(self.n_epoch):
            self.epoch = epoch
            self._with_events(self._do_epoch, 'epoch')

    def fit(self, n_epoch, lr=None):
        if self.opt is None:
            self.create_opt()
        if lr is not None:
            for g in self.opt.param_groups:
                g['lr'] = lr
        self.n_epoch = n_epoch
        self._with_events(self._do_fit, 'fit')


# fastai/vision/learner.py
def cnn_learner(dls, arch, pretrained=True, train_bn=True, cbs=None):
    body = nn.Sequential(*list(arch(pretrained=pretrained).children())[:-2])
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, dls.c))
    learn = Learner(dls, nn.Sequential(body, head), train_bn=train_bn, cbs=cbs)
    if pretrained:
        learn.freeze()
    return learn


# nbs/18a_callback.training.ipynb (slow test for BnFreeze)
def test_bn_freeze(dls):
    learn1 = cnn_learner(deepcopy(dls), resnet18, pretrained=True, train_bn=False, cbs=BnFreeze)
    m = learn1.model[0][1].running_mean.clone()
    learn1.fit(1, lr=0.02)
    assert torch.equal(learn1.model[0][1].running_mean, m)
