"""FixMatch (Sohn et al., 2020), CIFAR-10 @ 250 labels, WRN-28-2, EMA model for eval.

BN momentum 0.001 == TF decay 0.999 (already converted to the PyTorch convention).
"""
import argparse
import math
from copy import deepcopy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR

BN_MOMENTUM = 0.001


class BasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride, drop_rate=0.0, activate_before_residual=False):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes, momentum=BN_MOMENTUM)
        self.relu1 = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes, momentum=BN_MOMENTUM)
        self.relu2 = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.conv_shortcut = None if self.equal_in_out else \
            nn.Conv2d(in_planes, out_planes, 1, stride, 0, bias=False)
        self.activate_before_residual = activate_before_residual

    def forward(self, x):
        if not self.equal_in_out and self.activate_before_residual:
            x = self.relu1(self.bn1(x))
            out = x
        else:
            out = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(out if self.equal_in_out else x)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        return torch.add(x if self.equal_in_out else self.conv_shortcut(x), out)


class WideResNet(nn.Module):
    def __init__(self, num_classes=10, depth=28, widen_factor=2, drop_rate=0.0):
        super().__init__()
        ch = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = self._group(n, ch[0], ch[1], 1, drop_rate, True)
        self.block2 = self._group(n, ch[1], ch[2], 2, drop_rate)
        self.block3 = self._group(n, ch[2], ch[3], 2, drop_rate)
        self.bn1 = nn.BatchNorm2d(ch[3], momentum=BN_MOMENTUM)
        self.relu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.fc = nn.Linear(ch[3], num_classes)

    @staticmethod
    def _group(n, cin, cout, stride, drop_rate, abr=False):
        return nn.Sequential(*[BasicBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1,
                                          drop_rate, abr) for i in range(n)])

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = self.relu(self.bn1(out))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


class ModelEMA:
    def __init__(self, model, decay=0.999):
        self.ema = deepcopy(model)
        self.ema.eval()
        self.decay = decay
        self.param_keys = [k for k, _ in self.ema.named_parameters()]
        self.buffer_keys = [k for k, _ in self.ema.named_buffers()]
        for p in self.ema.parameters():
            p.requires_grad_(False)

    def update(self, model):
        with torch.no_grad():
            msd, esd = model.state_dict(), self.ema.state_dict()
            for k in self.param_keys:
                esd[k].copy_(esd[k] * self.decay + (1.0 - self.decay) * msd[k].detach())
            for k in self.buffer_keys:
                esd[k].copy_(msd[k])


def interleave(x, size):
    s = list(x.shape)
    return x.reshape([-1, size] + s[1:]).transpose(0, 1).reshape([-1] + s[1:])


def de_interleave(x, size):
    s = list(x.shape)
    return x.reshape([size, -1] + s[1:]).transpose(0, 1).reshape([-1] + s[1:])


def cosine_schedule(optimizer, warmup, total, cycles=7.0 / 16.0):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, math.cos(math.pi * cycles * progress))
    return LambdaLR(optimizer, f)


def test(loader, model):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x.cuda())
            correct += (out.argmax(1).cpu() == y).sum().item()
            n += y.numel()
    return 100.0 * correct / n


def train(args, labeled_loader, unlabeled_loader, test_loader, model, optimizer, scheduler, ema):
    labeled_iter, unlabeled_iter = iter(labeled_loader), iter(unlabeled_loader)
    for epoch in range(args.epochs):
        model.train()
        for step in range(args.eval_step):
            try:
                x_l, y_l = next(labeled_iter)
            except StopIteration:
                labeled_iter = iter(labeled_loader)
                x_l, y_l = next(labeled_iter)
            try:
                (x_w, x_s), _ = next(unlabeled_iter)
            except StopIteration:
                unlabeled_iter = iter(unlabeled_loader)
                (x_w, x_s), _ = next(unlabeled_iter)
            bs = x_l.size(0)
            inputs = interleave(torch.cat((x_l, x_w, x_s)), 2 * args.mu + 1).cuda()
            logits = de_interleave(model(inputs), 2 * args.mu + 1)
            logits_x = logits[:bs]
            logits_w, logits_s = logits[bs:].chunk(2)
            Lx = F.cross_entropy(logits_x, y_l.cuda())
            pseudo = torch.softmax(logits_w.detach() / args.T, dim=-1)
            max_probs, targets_u = pseudo.max(dim=-1)
            mask = max_probs.ge(args.threshold).float()
            Lu = (F.cross_entropy(logits_s, targets_u, reduction="none") * mask).mean()
            loss = Lx + args.lambda_u * Lu
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            ema.update(model)

        test_model = ema.ema if args.use_ema else model
        acc = test(test_loader, test_model)
        print(f"epoch {epoch}: loss {loss.item():.4f} mask {mask.mean().item():.2f} top1 {acc:.2f}")


def main(labeled_loader, unlabeled_loader, test_loader):
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1024)
    p.add_argument("--eval-step", type=int, default=1024)
    p.add_argument("--mu", type=int, default=7)
    p.add_argument("--T", type=float, default=1.0)
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--lambda-u", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=0.03)
    p.add_argument("--use-ema", action="store_true", default=True)
    args = p.parse_args()

    model = WideResNet(10, 28, 2).cuda()
    no_decay = ["bias", "bn"]
    groups = [
        {"params": [q for n, q in model.named_parameters() if not any(nd in n for nd in no_decay)],
         "weight_decay": 5e-4},
        {"params": [q for n, q in model.named_parameters() if any(nd in n for nd in no_decay)],
         "weight_decay": 0.0},
    ]
    optimizer = torch.optim.SGD(groups, lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = cosine_schedule(optimizer, 0, args.epochs * args.eval_step)
    ema = ModelEMA(model, 0.999)
    train(args, labeled_loader, unlabeled_loader, test_loader, model, optimizer, scheduler, ema)


if __name__ == "__main__":
    import numpy as np
    import torchvision
    import torchvision.transforms as T
    from torch.utils.data import DataLoader, Subset

    mean, std = (0.4914, 0.4822, 0.4465), (0.2471, 0.2435, 0.2616)
    weak = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(32, 4, padding_mode="reflect"),
                      T.ToTensor(), T.Normalize(mean, std)])
    strong = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(32, 4, padding_mode="reflect"),
                        T.RandAugment(2, 10), T.ToTensor(), T.Normalize(mean, std)])

    class WeakStrong:
        def __call__(self, img):
            return weak(img), strong(img)

    base = torchvision.datasets.CIFAR10("data", train=True, download=True)
    labels = np.array(base.targets)
    rng = np.random.default_rng(5)
    lab_idx = np.concatenate([rng.choice(np.where(labels == c)[0], 25, replace=False) for c in range(10)])
    lab_set = Subset(torchvision.datasets.CIFAR10("data", train=True, transform=weak), lab_idx.tolist())
    unl_set = torchvision.datasets.CIFAR10("data", train=True, transform=WeakStrong())
    test_set = torchvision.datasets.CIFAR10("data", train=False,
                                            transform=T.Compose([T.ToTensor(), T.Normalize(mean, std)]))
    main(DataLoader(lab_set, batch_size=64, shuffle=True, num_workers=4, drop_last=True),
         DataLoader(unl_set, batch_size=64 * 7, shuffle=True, num_workers=4, drop_last=True),
         DataLoader(test_set, batch_size=64, shuffle=False, num_workers=4))
