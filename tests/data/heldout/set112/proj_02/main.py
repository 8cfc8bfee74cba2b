"""python main.py --data /data/tiny-imagenet-200 --teacher ckpt/r50_tin.pt"""
import argparse
import json
import os

import torch

from kd.data import make_loaders
from kd.engine import evaluate, train_one_epoch
from kd.models import StudentCNN, load_teacher


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--alpha", type=float, default=0.8)
    ap.add_argument("--out", default="runs/kd_tin")
    return ap.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader = make_loaders(args.data)

    teacher = load_teacher(args.teacher, device=device)
    print("teacher:", evaluate(teacher, val_loader, device))

    student = StudentCNN().to(device)
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader))

    history, best = [], 0.0
    for epoch in range(args.epochs):
        train_loss, secs = train_one_epoch(student, teacher, train_loader, optimizer, scheduler, device, args.temperature, args.alpha)
        metrics = evaluate(student, val_loader, device)
        history.append({"epoch": epoch, "train_loss": train_loss, **metrics, "secs": secs})
        print(json.dumps(history[-1]))
        if metrics["top1"] > best:
            best = metrics["top1"]
            torch.save(student.state_dict(), os.path.join(args.out, "student_best.pt"))

    student.load_state_dict(torch.load(os.path.join(args.out, "student_best.pt"), map_location=device))
    student.eval()
    traced = torch.jit.trace(student, torch.randn(1, 3, 64, 64, device=device))
    traced.save(os.path.join(args.out, "student_best_traced.pt"))
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=2)


if __name__ == "__main__":
    main()
