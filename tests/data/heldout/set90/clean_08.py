"""Distil a ResNet-34 teacher into a MobileNet-style student on Tiny-ImageNet,
then fuse conv+bn and export the student for mobile (ONNX + quantisation-ready).
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import fuse_modules


class DWSeparable(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.pw = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.relu1(self.bn1(self.dw(x)))
        return self.relu2(self.bn2(self.pw(x)))


class Student(nn.Module):
    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1)]

    def __init__(self, num_classes=200, width=32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        blocks, cin = [], width
        for cout, s in self.CFG:
            blocks.append(DWSeparable(cin, cout, s))
            cin = cout
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.pool(self.features(x)).flatten(1)
        return self.fc(x)


def distill_loss(s, t, y, T_, alpha):
    kd = F.kl_div(F.log_softmax(s / T_, 1), F.log_softmax(t / T_, 1), reduction="batchmean", log_target=True)
    return alpha * kd * T_ * T_ + (1.0 - alpha) * F.cross_entropy(s, y)


def validate(model, loader, device):
    model.eval()
    hits = n = 0
    with torch.inference_mode():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            hits += (pred.cpu() == y).sum().item()
            n += len(y)
    model.train()
    return hits / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/tiny-imagenet-200")
    ap.add_argument("--teacher-ckpt", default="ckpt/resnet34_tin.pth")
    ap.add_argument("--epochs", type=int, default=120)
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--T", type=float, default=4.0)
    ap.add_argument("--alpha", type=float, default=0.7)
    ap.add_argument("--out", default="export")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize((0.480, 0.448, 0.398), (0.277, 0.269, 0.282))
    train_ds = torchvision.datasets.ImageFolder(os.path.join(args.root, "train"), T.Compose([
        T.RandomResizedCrop(64), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
    val_ds = torchvision.datasets.ImageFolder(os.path.join(args.root, "val"), T.Compose([T.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_ds, args.bs, shuffle=True, num_workers=8, drop_last=True)
    val_loader = torch.utils.data.DataLoader(val_ds, 1, shuffle=False, num_workers=8)

    teacher = torchvision.models.resnet34(num_classes=200)
    teacher.load_state_dict(torch.load(args.teacher_ckpt, map_location="cpu"))
    teacher = teacher.to(device).eval()
    teacher.requires_grad_(False)

    student = Student().to(device)
    opt = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    student.train()
    best = 0.0
    for epoch in range(args.epochs):
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            loss = distill_loss(student(x), t_logits, y, args.T, args.alpha)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
        acc = validate(student, val_loader, device)
        if acc > best:
            best = acc
            torch.save(student.state_dict(), "student_best.pth")
        print(f"epoch {epoch:3d} loss {loss.item():.3f} val@1 {acc:.4f} (best {best:.4f})")

    # --- deployment ---
    os.makedirs(args.out, exist_ok=True)
    student.load_state_dict(torch.load("student_best.pth", map_location=device))
    student.eval()
    to_fuse = [["conv1", "bn1", "relu"]]
    for i in range(len(Student.CFG)):
        to_fuse += [[f"features.{i}.dw", f"features.{i}.bn1", f"features.{i}.relu1"],
                    [f"features.{i}.pw", f"features.{i}.bn2", f"features.{i}.relu2"]]
    fused = fuse_modules(student, to_fuse, inplace=False)
    example = torch.randn(1, 3, 64, 64, device=device)
    torch.onnx.export(fused, example, os.path.join(args.out, "student_fused.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=17)
    scripted = torch.jit.trace(student, example)
    scripted.save(os.path.join(args.out, "student_ts.pt"))


if __name__ == "__main__":
    main()
