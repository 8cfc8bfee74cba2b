"""Mean-Teacher semi-supervised CNN, ported from our JAX/Flax implementation.

Flax kept `train` as an explicit argument and `batch_stats` as explicit state.
Mapping used in this port:
    apply(..., train=True,  mutable=['batch_stats'])  ->  model.train(); model(x)
    apply(..., train=False)                            ->  model.train(mode=False); model(x)
    nn.BatchNorm(momentum=0.99)                        ->  nn.BatchNorm2d(momentum=1 - 0.99)
    optax.ema / teacher params                         ->  EMA copy updated in place
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

FLAX_BN_MOMENTUM = 0.99
CFG = dict(batch_size=64, unlabeled_batch_size=192, steps=50_000, lr=0.03,
           ema_decay=0.999, consistency_weight=8.0, eval_every=1000)


class CNN13(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()

        def block(cin, cout, k=3, pad=1):
            return [nn.Conv2d(cin, cout, k, padding=pad, bias=False),
                    nn.BatchNorm2d(cout, momentum=1 - FLAX_BN_MOMENTUM),
                    nn.LeakyReLU(0.1)]

        self.net = nn.Sequential(
            *block(3, 128), *block(128, 128), *block(128, 128), nn.MaxPool2d(2), nn.Dropout(0.5),
            *block(128, 256), *block(256, 256), *block(256, 256), nn.MaxPool2d(2), nn.Dropout(0.5),
            *block(256, 512, 3, 0), *block(512, 256, 1, 0), *block(256, 128, 1, 0),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.net(x))


@torch.no_grad()
def ema_update(teacher, student, decay):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s, alpha=1 - decay)
    for t, s in zip(teacher.buffers(), student.buffers()):
        t.copy_(s)


def train_step(student, teacher, optimizer, labeled, unlabeled):
    (x, y), (u1, u2) = labeled, unlabeled
    logits = student(torch.cat([x, u1]))
    sup = F.cross_entropy(logits[: x.size(0)], y)
    with torch.no_grad():
        target = teacher(u2).softmax(-1)
    cons = F.mse_loss(logits[x.size(0):].softmax(-1), target)
    loss = sup + CFG["consistency_weight"] * cons
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def eval_step(model, loader):
    model.train(mode=False)
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.cuda()).argmax(-1).cpu() == y).sum().item()
            total += y.numel()
    return correct / total


class TwoViews:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, img):
        return self.tf(img), self.tf(img)


def main():
    aug = transforms.Compose([transforms.RandomCrop(32, padding=2), transforms.RandomHorizontalFlip(),
                              transforms.ToTensor()])
    labeled = datasets.CIFAR10("data", train=True, download=True, transform=aug)
    labeled = torch.utils.data.Subset(labeled, range(4000))
    unlabeled = datasets.CIFAR10("data", train=True, transform=TwoViews(aug))
    test = datasets.CIFAR10("data", train=False, transform=transforms.ToTensor())

    lab_loader = DataLoader(labeled, batch_size=CFG["batch_size"], shuffle=True, drop_last=True)
    unl_loader = DataLoader(unlabeled, batch_size=CFG["unlabeled_batch_size"], shuffle=True, drop_last=True)
    test_loader = DataLoader(test, batch_size=500)

    student = CNN13().cuda()
    teacher = copy.deepcopy(student)      # only updated through ema_update, never by the optimizer
    optimizer = torch.optim.SGD(student.parameters(), lr=CFG["lr"], momentum=0.9, nesterov=True)

    lab_iter, unl_iter = itertools.cycle(lab_loader), itertools.cycle(unl_loader)
    for step in range(1, CFG["steps"] + 1):
        student.train()
        teacher.train()
        (x, y), ((u1, u2), _) = next(lab_iter), next(unl_iter)
        loss = train_step(student, teacher, optimizer, (x.cuda(), y.cuda()), (u1.cuda(), u2.cuda()))
        ema_update(teacher, student, CFG["ema_decay"])
        if step % CFG["eval_every"] == 0:
            s_acc = eval_step(student, test_loader)
            t_acc = eval_step(teacher, test_loader)
            print(f"step {step}: loss {loss:.4f} student {s_acc:.4f} teacher {t_acc:.4f}")

    torch.save(teacher.state_dict(), "mean_teacher_cnn13.pt")


if __name__ == "__main__":
    main()
