"""Mean Teacher (Tarvainen & Valpola, 2017) on CIFAR-10 with 4000 labels.

PyTorch port of our TF code; ConvLarge architecture from the paper's appendix.
"""
import argparse
import copy
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as transforms

NO_LABEL = -1
BN_MOMENTUM = 0.999   # batch-norm decay used in the TF version

parser = argparse.ArgumentParser(description="Mean Teacher CIFAR-10")
parser.add_argument("--data", default="data/cifar10")
parser.add_argument("--labels", type=int, default=4000)
parser.add_argument("--epochs", type=int, default=180)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--ema-decay", type=float, default=0.97)
parser.add_argument("--consistency", type=float, default=100.0)
parser.add_argument("--consistency-rampup", type=int, default=5)
parser.add_argument("--workers", type=int, default=4)


def conv_bn(cin, cout, k=3, pad=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=pad, bias=False),
        nn.BatchNorm2d(cout, momentum=BN_MOMENTUM),  # expect: BN205
        nn.LeakyReLU(0.1),
    )


class ConvLarge(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.block1 = nn.Sequential(conv_bn(3, 128), conv_bn(128, 128), conv_bn(128, 128),
                                    nn.MaxPool2d(2, 2), nn.Dropout(0.5))
        self.block2 = nn.Sequential(conv_bn(128, 256), conv_bn(256, 256), conv_bn(256, 256),
                                    nn.MaxPool2d(2, 2), nn.Dropout(0.5))
        self.block3 = nn.Sequential(conv_bn(256, 512, 3, 0), conv_bn(512, 256, 1, 0),
                                    conv_bn(256, 128, 1, 0), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        return self.fc(torch.flatten(x, 1))


def sigmoid_rampup(current, rampup_length):
    if rampup_length == 0:
        return 1.0
    current = np.clip(current, 0.0, rampup_length)
    phase = 1.0 - current / rampup_length
    return float(np.exp(-5.0 * phase * phase))


def update_ema_variables(model, ema_model, alpha, global_step):
    alpha = min(1 - 1 / (global_step + 1), alpha)
    with torch.no_grad():
        for ema_param, param in zip(ema_model.parameters(), model.parameters()):
            ema_param.mul_(alpha).add_(param, alpha=1 - alpha)


class TwoViews:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, img):
        return self.tf(img), self.tf(img)


def build_loaders(args):
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = TwoViews(transforms.Compose([
        transforms.RandomCrop(32, padding=2, padding_mode="reflect"),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    train_set = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=train_tf)
    rng = np.random.RandomState(0)
    labeled = set(rng.choice(len(train_set), args.labels, replace=False).tolist())
    train_set.targets = [t if i in labeled else NO_LABEL for i, t in enumerate(train_set.targets)]
    eval_set = torchvision.datasets.CIFAR10(args.data, train=False, download=True,
                                            transform=transforms.Compose([transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                               num_workers=args.workers, drop_last=True)
    eval_loader = torch.utils.data.DataLoader(eval_set, batch_size=256, shuffle=False,
                                              num_workers=args.workers)
    return train_loader, eval_loader


def validate(eval_loader, model):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in eval_loader:
            x, y = x.cuda(), y.cuda()
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.size(0)
    return 100.0 * correct / total


def main():
    args = parser.parse_args()
    train_loader, eval_loader = build_loaders(args)

    model = ConvLarge().cuda()
    ema_model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=0.9,
                                weight_decay=2e-4, nesterov=True)
    class_criterion = nn.CrossEntropyLoss(ignore_index=NO_LABEL)

    global_step = 0
    best = 0.0
    model.train()
    ema_model.train()
    for epoch in range(args.epochs):
        start = time.time()
        for i, ((x_student, x_teacher), target) in enumerate(train_loader):
            x_student, x_teacher, target = x_student.cuda(), x_teacher.cuda(), target.cuda()
            logits = model(x_student)
            with torch.no_grad():
                ema_logits = ema_model(x_teacher)

            class_loss = class_criterion(logits, target)
            weight = args.consistency * sigmoid_rampup(epoch + i / len(train_loader),
                                                       args.consistency_rampup)
            cons_loss = F.mse_loss(F.softmax(logits, 1), F.softmax(ema_logits, 1),
                                   reduction="sum") / logits.numel()
            loss = class_loss + weight * cons_loss

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            global_step += 1
            update_ema_variables(model, ema_model, args.ema_decay, global_step)

        prec1 = validate(eval_loader, model)  # expect: BN103
        best = max(best, prec1)
        print(f"epoch {epoch}: {time.time() - start:.1f}s  student top1 {prec1:.2f}  best {best:.2f}")

    ema_prec1 = validate(eval_loader, ema_model)
    print(f"final EMA teacher top1 {ema_prec1:.2f}")
    torch.save({"student": model.state_dict(), "teacher": ema_model.state_dict()}, "mean_teacher.pth")


if __name__ == "__main__":
    main()
