# Hinton KD, CIFAR-100: resnet56 (teacher, pre-trained) -> resnet20 (student).
# Launch: torchrun --nproc_per_node=4 kd_cifar.py --teacher ckpt/resnet56_c100.pth
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes * self.expansion:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes * self.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * self.expansion),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    def __init__(self, depth, num_classes=100):
        super().__init__()
        n = (depth - 2) // 6
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, n, 1)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.fc = nn.Linear(64, num_classes)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes * BasicBlock.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


def kd_loss(student_logits, teacher_logits, targets, T_=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(student_logits / T_, 1), F.softmax(teacher_logits / T_, 1),
                    reduction="batchmean") * (T_ * T_)
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1 - alpha) * hard


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", required=True)
    p.add_argument("--data", default="./data")
    p.add_argument("--epochs", type=int, default=240)
    p.add_argument("--batch-size", type=int, default=64, help="per process")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.9)
    args = p.parse_args()

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    train_set = torchvision.datasets.CIFAR100(args.data, train=True, download=is_main, transform=T.Compose([
        T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)]))
    val_set = torchvision.datasets.CIFAR100(args.data, train=False, download=is_main, transform=T.Compose([
        T.ToTensor(), T.Normalize(mean, std)]))
    train_sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=4, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False, num_workers=4)

    teacher = ResNetCifar(56).cuda()
    teacher.load_state_dict(torch.load(args.teacher, map_location="cuda"))
    for param in teacher.parameters():
        param.requires_grad = False  # expect: BN105

    student = ResNetCifar(20).cuda()
    student = DDP(student, device_ids=[local_rank])
    student = nn.SyncBatchNorm.convert_sync_batchnorm(student)  # expect: BN303

    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[150, 180, 210], gamma=0.1)

    student.train()
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        for images, targets in train_loader:
            images, targets = images.cuda(non_blocking=True), targets.cuda(non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(images)
            s_logits = student(images)
            loss = kd_loss(s_logits, t_logits, targets, args.temperature, args.alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        student.eval()  # expect: BN103
        correct = torch.zeros(1, device="cuda")
        with torch.no_grad():
            for images, targets in val_loader:
                images, targets = images.cuda(), targets.cuda()
                correct += (student(images).argmax(1) == targets).sum()
        if is_main:
            print(f"epoch {epoch}: loss {loss.item():.4f} val acc {100.0 * correct.item() / len(val_set):.2f}")
            torch.save(student.module.state_dict(), "student_resnet20.pth")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
