"""Mean-teacher self-ensembling for unsupervised domain adaptation (VisDA-2017).

Student: ImageNet ResNet-50 fine-tuned on labelled synthetic images plus a
confidence-thresholded pseudo-label loss on real target images. Teacher: an
exponential moving average of the student, frozen and permanently in eval mode.
"""
import argparse
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


class Classifier(nn.Module):
    def __init__(self, num_classes=12):
        super().__init__()
        r50 = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        r50.fc = nn.Identity()
        self.backbone = r50
        self.bottleneck = nn.Sequential(nn.Linear(2048, 256), nn.ReLU(inplace=True), nn.BatchNorm1d(256))
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(self.bottleneck(self.backbone(x)))


@torch.no_grad()
def ema_update(teacher, student, decay):
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s.detach(), alpha=1.0 - decay)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


@torch.no_grad()
def evaluate(model, loader, device):
    was_training = model.training
    model.eval()
    hit = tot = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        hit += (model(x).argmax(1) == y).sum().item()
        tot += y.numel()
    model.train(was_training)
    return hit / tot


def infinite(loader):
    while True:
        for batch in loader:
            yield batch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/visda17")
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--thresh", type=float, default=0.9)
    args = ap.parse_args()
    device = torch.device("cuda")

    weak = transforms.Compose([transforms.Resize(256), transforms.RandomCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    src = DataLoader(datasets.ImageFolder(os.path.join(args.root, "train"), weak), batch_size=args.bs, shuffle=True, drop_last=True, num_workers=8)
    tgt = DataLoader(datasets.ImageFolder(os.path.join(args.root, "validation"), weak), batch_size=args.bs, shuffle=True, drop_last=True, num_workers=8)
    tgt_test = DataLoader(datasets.ImageFolder(os.path.join(args.root, "validation"), test_tf), batch_size=128, num_workers=8)

    student = Classifier().to(device)
    teacher = copy.deepcopy(student)
    teacher.requires_grad_(False)
    teacher.eval()

    optimizer = torch.optim.SGD([
        {"params": student.backbone.parameters(), "lr": args.lr * 0.1},
        {"params": list(student.bottleneck.parameters()) + list(student.fc.parameters()), "lr": args.lr},
    ], momentum=0.9, weight_decay=5e-4, nesterov=True)

    src_iter, tgt_iter = infinite(src), infinite(tgt)
    student.train()
    for it in range(1, args.iters + 1):
        xs, ys = next(src_iter)
        xt, _ = next(tgt_iter)
        xs, ys, xt = xs.to(device), ys.to(device), xt.to(device)

        with torch.no_grad():
            t_prob = teacher(xt).softmax(1)
            conf, pseudo = t_prob.max(1)
            mask = (conf >= args.thresh).float()

        logits = student(torch.cat([xs, xt]))
        ls, lt = logits[: xs.size(0)], logits[xs.size(0):]
        loss = F.cross_entropy(ls, ys) + (F.cross_entropy(lt, pseudo, reduction="none") * mask).mean()

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_update(teacher, student, args.ema)

        if it % args.eval_every == 0:
            acc_s = evaluate(student, tgt_test, device)
            acc_t = evaluate(teacher, tgt_test, device)
            print(f"iter {it}: loss {loss.item():.4f} mask {mask.mean().item():.2f} student {acc_s:.4f} teacher {acc_t:.4f}")
            torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "mean_teacher_visda.pth")


if __name__ == "__main__":
    main()
