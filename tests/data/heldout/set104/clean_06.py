"""
Knowledge distillation (ResNet teacher -> small student) with an EMA copy of the
student, distributed with torchrun.

    torchrun --nproc_per_node=4 distill.py --teacher teacher_r50.pth
"""
import argparse
import copy
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Net(nn.Module):
    def __init__(self, widths, num_classes=100):
        super().__init__()
        layers, cin = [], 3
        for i, w in enumerate(widths):
            layers.append(conv_bn(cin, w, stride=1 if i == 0 else 2))
            layers.append(conv_bn(w, w))
            cin = w
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


class ModelEmaV2(nn.Module):
    """EMA of model weights, kept permanently in eval mode (as in timm)."""

    def __init__(self, model, decay=0.9999):
        super().__init__()
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.module.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for ema_v, model_v in zip(self.module.state_dict().values(), model.state_dict().values()):
            if ema_v.dtype.is_floating_point:
                ema_v.copy_(self.decay * ema_v + (1.0 - self.decay) * model_v)
            else:
                ema_v.copy_(model_v)


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1), reduction="batchmean") * T * T
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1 - alpha) * hard


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


@torch.no_grad()
def evaluate_ema(ema, loader, device):
    # ema.module never leaves eval mode, see ModelEmaV2.__init__
    correct = total = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (ema.module(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--batch-size", type=int, default=64, help="per GPU")
    ap.add_argument("--epochs", type=int, default=240)
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    rank = dist.get_rank()

    tf_train = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    tf_test = transforms.ToTensor()
    train_set = datasets.CIFAR100(args.data, train=True, transform=tf_train)
    test_set = datasets.CIFAR100(args.data, train=False, transform=tf_test)
    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=4, pin_memory=True)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=4)

    teacher = Net([128, 256, 512, 1024]).to(device)
    teacher.load_state_dict(torch.load(args.teacher, map_location=device))
    teacher.eval()

    student = Net([32, 64, 128, 256]).to(device)
    ema = ModelEmaV2(student, decay=0.999)
    student = DDP(student, device_ids=[local_rank])
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [150, 180, 210], 0.1)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        student.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            loss = kd_loss(student(x), t_logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            ema.update(student.module)
        scheduler.step()

        if rank == 0 and epoch % 5 == 4:
            acc = evaluate(student.module, test_loader, device)
            ema_acc = evaluate_ema(ema, test_loader, device)
            print(f"epoch {epoch}: student {acc:.4f}  ema {ema_acc:.4f}")
            torch.save({"student": student.module.state_dict(), "ema": ema.module.state_dict()}, "distill_last.pth")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
