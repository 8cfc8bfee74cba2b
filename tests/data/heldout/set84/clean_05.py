"""Knowledge distillation ResNet-50 -> small CNN on ImageNet-100; runs on 1 GPU or under torchrun."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


def stage(cin, cout, n):
    layers = []
    for i in range(n):
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, stride=2 if i == 0 else 1,
                             padding=1, bias=False),
                   nn.BatchNorm2d(cout),
                   nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Student(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.features = nn.Sequential(stage(3, 32, 1), stage(32, 64, 2), stage(64, 128, 2),
                                      stage(128, 256, 2), stage(256, 512, 2))
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def kd_loss(s_logits, t_logits, targets, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(s_logits / T, -1), F.softmax(t_logits / T, -1),
                    reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s_logits, targets)


def load_teacher(path, num_classes=100):
    teacher = torchvision.models.resnet50(num_classes=num_classes)
    teacher.load_state_dict(torch.load(path, map_location="cpu"))
    teacher.eval()
    teacher.requires_grad_(False)
    return teacher


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--batch-size", type=int, default=256, help="global batch size")
    ap.add_argument("--epochs", type=int, default=100)
    args = ap.parse_args()

    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    if distributed:
        dist.init_process_group("nccl")
        local_rank = int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
        world_size = dist.get_world_size()
    else:
        local_rank, world_size = 0, 1
    device = torch.device("cuda", local_rank)

    tf = torchvision.transforms
    train_set = torchvision.datasets.ImageFolder(os.path.join(args.data, "train"), tf.Compose([
        tf.RandomResizedCrop(160), tf.RandomHorizontalFlip(), tf.ToTensor(),
        tf.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]))
    sampler = DistributedSampler(train_set) if distributed else None
    per_device = args.batch_size // world_size
    loader = DataLoader(train_set, batch_size=per_device, sampler=sampler, shuffle=sampler is None,
                        num_workers=8, pin_memory=True, drop_last=True)

    teacher = load_teacher(args.teacher).to(device)
    student = Student().to(device)
    if distributed:
        student = nn.SyncBatchNorm.convert_sync_batchnorm(student)
        student = DDP(student, device_ids=[local_rank])

    opt = torch.optim.SGD(student.parameters(), lr=0.1 * args.batch_size / 256, momentum=0.9,
                          weight_decay=5e-5, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)

    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        student.train()
        for i, (x, y) in enumerate(loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            loss = kd_loss(s_logits, t_logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if i % 200 == 0 and (not distributed or dist.get_rank() == 0):
                agree = (s_logits.argmax(1) == t_logits.argmax(1)).float().mean().item()
                print(f"ep {epoch} it {i} loss {loss.item():.4f} teacher-agreement {agree:.3f}")
        sched.step()

    if not distributed or dist.get_rank() == 0:
        net = student.module if distributed else student
        torch.save(net.state_dict(), "student_kd.pth")


if __name__ == "__main__":
    main()
