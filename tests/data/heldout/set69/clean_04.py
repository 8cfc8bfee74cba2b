"""Feature + logit distillation (FitNets-style hints + Hinton KD), then INT8 export.

Teacher: ResNet-34 trained on the same 100-class food dataset (checkpoint).
Student: a MobileNet-like network. Hints are matched at two stages through
1x1 conv connectors. After training the student is fused, quantised
post-training with a calibration set and exported to ONNX (FP32) and
TorchScript (INT8).

    python clean_04.py --data /data/food100 --teacher ckpt/r34_food100.pth
"""
import argparse
import logging
import os
import time
from dataclasses import dataclass, field

import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T

log = logging.getLogger("distill")


@dataclass
class Config:
    data: str = "/data/food100"
    teacher: str = "ckpt/r34_food100.pth"
    out: str = "runs/distill"
    num_classes: int = 100
    epochs: int = 120
    batch_size: int = 96
    lr: float = 0.05
    temperature: float = 4.0
    alpha: float = 0.7
    hint_weight: float = 50.0
    hint_stages: tuple = (2, 3)
    calib_samples: int = 10_000
    widths: list = field(default_factory=lambda: [32, 64, 128, 256, 512])


def conv_bn(cin, cout, k=3, s=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, momentum=0.03)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DWSeparable(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn(cin, cout, 1, 1)

    def forward(self, x):
        return self.pw(self.dw(x))


class StudentNet(nn.Module):
    def __init__(self, widths, num_classes):
        super().__init__()
        self.stem = conv_bn(3, widths[0], 3, 2)
        self.stages = nn.ModuleList()
        for cin, cout in zip(widths[:-1], widths[1:]):
            self.stages.append(nn.Sequential(DWSeparable(cin, cout, 2), DWSeparable(cout, cout, 1)))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[-1], num_classes)
        self.quant = tq.QuantStub()
        self.dequant = tq.DeQuantStub()

    def forward(self, x, return_feats=False):
        feats = []
        x = self.stem(self.quant(x))
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        logits = self.dequant(self.fc(torch.flatten(self.pool(x), 1)))
        return (logits, feats) if return_feats else logits

    def fuse_model(self):
        for m in self.modules():
            if isinstance(m, nn.Sequential) and len(m) >= 2 and isinstance(m[0], nn.Conv2d) and isinstance(m[1], nn.BatchNorm2d):
                names = ["0", "1", "2"] if len(m) == 3 else ["0", "1"]
                tq.fuse_modules(m, names, inplace=True)


class TeacherWithFeats(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = torchvision.models.resnet34(num_classes=num_classes)

    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        f1 = n.layer1(x)
        f2 = n.layer2(f1)
        f3 = n.layer3(f2)
        f4 = n.layer4(f3)
        logits = n.fc(torch.flatten(n.avgpool(f4), 1))
        return logits, [f1, f2, f3, f4]


class HintConnector(nn.Module):
    def __init__(self, student_ch, teacher_ch):
        super().__init__()
        self.proj = nn.Sequential(nn.Conv2d(student_ch, teacher_ch, 1, bias=False), nn.BatchNorm2d(teacher_ch))

    def forward(self, s_feat, t_feat):
        s = self.proj(s_feat)
        if s.shape[-2:] != t_feat.shape[-2:]:
            s = F.interpolate(s, size=t_feat.shape[-2:], mode="bilinear", align_corners=False)
        return F.mse_loss(s, t_feat)


def hinton_kd(s_logits, t_logits, T_):
    return F.kl_div(F.log_softmax(s_logits / T_, 1), F.softmax(t_logits / T_, 1), reduction="batchmean") * T_ * T_


def evaluate(model, loader, device):
    model.train(mode=False)
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
    model.train()
    return 100.0 * correct / max(1, total)


@torch.inference_mode()
def predict_topk(model, images, k=5):
    was_training = model.training
    model.eval()
    probs = model(images).softmax(1)
    model.train(was_training)
    return probs.topk(k, dim=1)


def calibrate(model, cfg, device):
    """Post-training quantisation calibration on random crops of training images."""
    tf = T.Compose([T.RandomResizedCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = torchvision.datasets.ImageFolder(os.path.join(cfg.data, "train"), tf)
    idx = torch.randperm(len(ds))[: cfg.calib_samples].tolist()
    loader = DataLoader(torch.utils.data.Subset(ds, idx), batch_size=64, num_workers=8)
    with torch.no_grad():
        for x, _ in loader:
            model(x.to(device))


def write_history(path, rows):
    if not rows:
        return
    keys = list(rows[0].keys())
    with open(path, "w") as fh:
        fh.write(",".join(keys) + "\n")
        for row in rows:
            fh.write(",".join(f"{row[k]:.5f}" if isinstance(row[k], float) else str(row[k]) for k in keys) + "\n")


def parse_cli():
    cfg = Config()
    ap = argparse.ArgumentParser()
    for name, value in vars(cfg).items():
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            ap.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    ns = ap.parse_args()
    for name, value in vars(ns).items():
        setattr(cfg, name, value)
    return cfg


def main():
    cfg = parse_cli()
    os.makedirs(cfg.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2), T.ToTensor(), norm])
    val_tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])
    train_set = torchvision.datasets.ImageFolder(os.path.join(cfg.data, "train"), train_tf)
    val_set = torchvision.datasets.ImageFolder(os.path.join(cfg.data, "val"), val_tf)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, shuffle=False, num_workers=8)

    teacher = TeacherWithFeats(cfg.num_classes)
    teacher.net.load_state_dict(torch.load(cfg.teacher, map_location="cpu"))
    teacher = teacher.to(device)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad = False

    student = StudentNet(cfg.widths, cfg.num_classes).to(device)
    teacher_widths = [64, 128, 256, 512]
    connectors = nn.ModuleDict({
        str(i): HintConnector(cfg.widths[i + 1], teacher_widths[i]) for i in cfg.hint_stages
    }).to(device)
    params = list(student.parameters()) + list(connectors.parameters())
    optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=4e-5, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)

    best = 0.0
    history = []
    for epoch in range(cfg.epochs):
        student.train()
        connectors.train()
        t0 = time.time()
        stats = {"ce": 0.0, "kd": 0.0, "hint": 0.0}
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits, t_feats = teacher(x)
            s_logits, s_feats = student(x, return_feats=True)
            ce = F.cross_entropy(s_logits, y)
            kd = hinton_kd(s_logits, t_logits, cfg.temperature)
            hint = sum(connectors[str(i)](s_feats[i], t_feats[i]) for i in cfg.hint_stages)
            loss = (1 - cfg.alpha) * ce + cfg.alpha * kd + cfg.hint_weight * hint
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            stats["ce"] += ce.item()
            stats["kd"] += kd.item()
            stats["hint"] += float(hint)
        scheduler.step()
        acc = evaluate(student, val_loader, device)
        n = len(train_loader)
        log.info("epoch %d ce %.3f kd %.3f hint %.4f | val %.2f | %.0fs", epoch,
                 stats["ce"] / n, stats["kd"] / n, stats["hint"] / n, acc, time.time() - t0)
        history.append({"epoch": epoch, "ce": stats["ce"] / n, "kd": stats["kd"] / n,
                        "hint": stats["hint"] / n, "val_top1": acc, "lr": scheduler.get_last_lr()[0]})
        write_history(os.path.join(cfg.out, "history.csv"), history)
        if acc > best:
            best = acc
            torch.save(student.state_dict(), os.path.join(cfg.out, "student_best.pth"))

    student.load_state_dict(torch.load(os.path.join(cfg.out, "student_best.pth"), map_location=device))
    sample, _ = next(iter(val_loader))
    top_p, top_i = predict_topk(student, sample[:8].to(device))
    log.info("sanity top-5 for 8 val images: %s", top_i.tolist())

    student.eval()
    dummy = torch.randn(1, 3, 224, 224, device=device)
    torch.onnx.export(student, dummy, os.path.join(cfg.out, "student_fp32.onnx"), opset_version=17,
                      input_names=["input"], output_names=["logits"])

    student_cpu = student.cpu()
    student_cpu.eval()
    student_cpu.fuse_model()
    student_cpu.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(student_cpu, inplace=True)
    calibrate(student_cpu, cfg, torch.device("cpu"))
    quantized = tq.convert(student_cpu, inplace=False)
    scripted = torch.jit.trace(quantized, torch.randn(1, 3, 224, 224))
    scripted.save(os.path.join(cfg.out, "student_int8.pt"))
    log.info("best student top1 %.2f; exported fp32 onnx and int8 torchscript", best)


if __name__ == "__main__":
    main()
