"""Distil a bottleneck ResNet teacher into a depthwise-separable student.

    python distill.py --teacher weights/teacher_r50_c100.pt
"""
import argparse
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from engine import agreement, evaluate, expected_calibration_error, kd_loss, quick_eval
from nets import StudentNet, TeacherNet
from utils import AverageMeter, save_checkpoint, set_seed

MEAN, STD = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)


def loaders(root, batch_size):
    train_tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    train = datasets.CIFAR100(root, train=True, transform=train_tf)
    test = datasets.CIFAR100(root, train=False, transform=test_tf)
    return (DataLoader(train, batch_size, shuffle=True, drop_last=True, num_workers=4),
            DataLoader(test, 256, shuffle=False, num_workers=4))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="data")
    p.add_argument("--teacher", default="weights/teacher_r50_c100.pt")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--quick-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    set_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, test_loader = loaders(args.root, args.batch_size)

    teacher = TeacherNet().to(device)
    teacher.load_state_dict(torch.load(args.teacher, map_location=device))
    teacher.requires_grad_(False)  # expect: BN105

    student = StudentNet().to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    step, best = 0, 0.0
    for epoch in range(args.epochs):
        student.train()
        meter = AverageMeter("kd")
        t0 = time.time()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            loss = kd_loss(student(x), t_logits, y, temperature=args.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            meter.update(loss.item(), y.size(0))
            step += 1
            if step % args.quick_every == 0:
                est = quick_eval(student, test_loader, device)  # expect: BN103
                print(f"  step {step}: {meter} quick top-1 {est:.3f}")
        scheduler.step()

        metrics = evaluate(student, test_loader, device)
        agree = agreement(student, teacher, test_loader, device)
        print(f"epoch {epoch}: {meter} top-1 {metrics['top1']:.4f} top-5 {metrics['top5']:.4f} "
              f"agreement {agree:.3f} ({time.time() - t0:.0f}s)")
        if metrics["top1"] > best:
            best = metrics["top1"]
            save_checkpoint("weights/student_best.pt", student=student, epoch=epoch, top1=best)
    ece = expected_calibration_error(student, test_loader, device)
    print(f"best student top-1 {best:.4f}; final ECE {ece:.4f}")


if __name__ == "__main__":
    main()
