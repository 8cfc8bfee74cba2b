"""FixMatch-style semi-supervised training with an EMA teacher.

The EMA copy is put in eval mode once and never trained; pseudo-labels are
produced by the EMA teacher under no_grad inside the training step.
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, momentum=0.001)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.001)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.short = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        o = F.leaky_relu(self.bn1(x), 0.1)
        y = self.conv1(o)
        y = self.conv2(F.leaky_relu(self.bn2(y), 0.1))
        return y + (x if self.short is None else self.short(o))


class WideResNet(nn.Module):
    def __init__(self, num_classes=10, widen=2):
        super().__init__()
        w = [16, 16 * widen, 32 * widen, 64 * widen]
        # whitening-style input layer: the BN has no affine params, so the conv
        # bias is not shadowed by a BN shift
        self.conv0 = nn.Conv2d(3, w[0], 3, 1, 1, bias=True)
        self.bn0 = nn.BatchNorm2d(w[0], affine=False)
        self.stage1 = nn.Sequential(WideBlock(w[0], w[1], 1), WideBlock(w[1], w[1], 1))
        self.stage2 = nn.Sequential(WideBlock(w[1], w[2], 2), WideBlock(w[2], w[2], 1))
        self.stage3 = nn.Sequential(WideBlock(w[2], w[3], 2), WideBlock(w[3], w[3], 1))
        self.bn_out = nn.BatchNorm2d(w[3], momentum=None)
        self.fc = nn.Linear(w[3], num_classes)

    def forward(self, x):
        x = self.bn0(self.conv0(x))
        x = self.stage3(self.stage2(self.stage1(x)))
        x = F.leaky_relu(self.bn_out(x), 0.1)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class EMATeacher:
    def __init__(self, model, decay=0.999):
        self.model = copy.deepcopy(model)
        self.model.eval()
        self.model.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, student):
        for t, s in zip(self.model.parameters(), student.parameters()):
            t.mul_(self.decay).add_(s.detach(), alpha=1 - self.decay)
        for t, s in zip(self.model.buffers(), student.buffers()):
            t.copy_(s)


class FixMatchTrainer:
    def __init__(self, model, labeled, unlabeled, test, steps=2 ** 20, eval_every=1024,
                 threshold=0.95, lambda_u=1.0, device="cuda"):
        self.device = device
        self.model = model.to(device)
        self.teacher = EMATeacher(self.model)
        self.labeled, self.unlabeled, self.test = labeled, unlabeled, test
        self.steps, self.eval_every = steps, eval_every
        self.threshold, self.lambda_u = threshold, lambda_u
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.03, momentum=0.9,
                                         nesterov=True, weight_decay=5e-4)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: max(0.0, torch.cos(torch.tensor(7 * 3.14159 * s / (16 * steps))).item()))

    def train_step(self, lx, ly, weak, strong):
        with torch.no_grad():
            pseudo = self.teacher.model(weak).softmax(1)
        conf, target = pseudo.max(1)
        mask = (conf >= self.threshold).float()
        logits = self.model(torch.cat([lx, strong]))
        sup = F.cross_entropy(logits[: len(lx)], ly)
        unsup = (F.cross_entropy(logits[len(lx):], target, reduction="none") * mask).mean()
        loss = sup + self.lambda_u * unsup
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.teacher.update(self.model)
        return loss.item(), mask.mean().item()

    @torch.no_grad()
    def evaluate(self):
        net = self.teacher.model
        correct = n = 0
        for x, y in self.test:
            correct += (net(x.to(self.device)).argmax(1).cpu() == y).sum().item()
            n += y.numel()
        return correct / n

    def fit(self):
        self.model.train()
        lab = itertools.cycle(self.labeled)
        unl = itertools.cycle(self.unlabeled)
        for step in range(1, self.steps + 1):
            lx, ly = next(lab)
            (weak, strong), _ = next(unl)
            loss, frac = self.train_step(lx.to(self.device), ly.to(self.device),
                                         weak.to(self.device), strong.to(self.device))
            if step % self.eval_every == 0:
                print(f"step {step}: loss {loss:.3f} mask {frac:.2f} ema acc {self.evaluate():.4f}")


def build_loaders(labeled_ds, unlabeled_ds, test_ds, batch_size=64, mu=7):
    return (
        DataLoader(labeled_ds, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=4),
        DataLoader(unlabeled_ds, batch_size=batch_size * mu, shuffle=True, drop_last=True,
                   num_workers=8),
        DataLoader(test_ds, batch_size=256, num_workers=4),
    )
