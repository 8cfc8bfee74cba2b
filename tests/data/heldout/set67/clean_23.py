"""Mean Teacher semi-supervised learning on CIFAR-10 with 4,000 labels."""
import argparse
import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


def conv_bn(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.LeakyReLU(0.1))


class CNN13(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 128), conv_bn(128, 128), conv_bn(128, 128), nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn(128, 256), conv_bn(256, 256), conv_bn(256, 256), nn.MaxPool2d(2), nn.Dropout(0.5),
            conv_bn(256, 512), conv_bn(512, 256), conv_bn(256, 128), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, img):
        return self.tf(img), self.tf(img)


@torch.no_grad()
def update_teacher(student, teacher, alpha):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s, alpha=1 - alpha)


def forever(loader):
    while True:
        yield from loader


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = sum((model(x.to(device)).argmax(1).cpu() == y).sum().item() for x, y in loader)
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=150_000)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--consistency", type=float, default=100.0)
    args = parser.parse_args()

    device = torch.device("cuda")
    norm = transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))
    aug = transforms.Compose([transforms.RandomCrop(32, 2, padding_mode="reflect"),
                              transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    train_set = datasets.CIFAR10("data", train=True, transform=TwoCrops(aug), download=True)
    test_set = datasets.CIFAR10("data", train=False, transform=transforms.Compose([transforms.ToTensor(), norm]))
    rng = np.random.default_rng(0)
    labelled_idx = rng.choice(len(train_set), args.labels, replace=False)
    labelled = DataLoader(Subset(train_set, labelled_idx), batch_size=31, shuffle=True, drop_last=True, num_workers=4)
    unlabelled = DataLoader(train_set, batch_size=225, shuffle=True, drop_last=True, num_workers=8)
    test_loader = DataLoader(test_set, batch_size=500)

    student = CNN13().to(device)
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=2e-4)

    labelled_iter = forever(labelled)
    student.train()
    teacher.train()
    for step, ((u_student, u_teacher), _) in enumerate(forever(unlabelled)):
        if step >= args.steps:
            break
        (l_student, _), y = next(labelled_iter)
        x_student = torch.cat([l_student, u_student]).to(device)
        x_teacher = torch.cat([l_student, u_teacher]).to(device)
        y = y.to(device)

        logits = student(x_student)
        with torch.no_grad():
            teacher_logits = teacher(x_teacher)
        weight = args.consistency * min(1.0, step / 5000) ** 2
        class_loss = F.cross_entropy(logits[: len(y)], y)
        cons_loss = F.mse_loss(logits.softmax(1), teacher_logits.softmax(1))
        loss = class_loss + weight * cons_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        update_teacher(student, teacher, args.ema)

        if step % 5000 == 0:
            acc_s = evaluate(student, test_loader, device)
            acc_t = evaluate(teacher, test_loader, device)
            print(f"step {step}: student {acc_s:.4f} teacher {acc_t:.4f} loss {loss.item():.4f}")
            student.train()
            teacher.train()


if __name__ == "__main__":
    main()
