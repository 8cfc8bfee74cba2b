"""Mean-Teacher semi-supervised semantic segmentation (DeepLab-style ASPP head)."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from datasets.cityscapes import CityscapesLabeled, CityscapesUnlabeled  # repo-local

ASPP_OUT = 256
LOW_LEVEL_OUT = 48
IGNORE_INDEX = 255


def conv_bn_relu(in_ch, out_ch, kernel_size=3, dilation=1, stride=1):
    padding = dilation * (kernel_size - 1) // 2
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class ASPP(nn.Module):
    def __init__(self, in_ch, rates=(6, 12, 18)):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(in_ch, ASPP_OUT, kernel_size=1)])
        for r in rates:
            self.branches.append(conv_bn_relu(in_ch, ASPP_OUT, dilation=r))
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_ch, ASPP_OUT, 1, bias=False),
            nn.BatchNorm2d(ASPP_OUT),
            nn.ReLU(inplace=True),
        )
        self.project = conv_bn_relu(ASPP_OUT * (len(rates) + 2), ASPP_OUT, kernel_size=1)

    def forward(self, x):
        feats = [b(x) for b in self.branches]
        pooled = self.image_pool(x)
        feats.append(F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False))
        return self.project(torch.cat(feats, dim=1))


class SegNet(nn.Module):
    def __init__(self, num_classes=19, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        self.stem = conv_bn_relu(3, widths[0], stride=2)
        self.enc1 = nn.Sequential(conv_bn_relu(widths[0], widths[1], stride=2), conv_bn_relu(widths[1], widths[1]))
        self.enc2 = nn.Sequential(conv_bn_relu(widths[1], widths[2], stride=2), conv_bn_relu(widths[2], widths[2]))
        self.enc3 = nn.Sequential(conv_bn_relu(widths[2], widths[3], stride=2), conv_bn_relu(widths[3], widths[3]))
        self.enc4 = nn.Sequential(conv_bn_relu(widths[3], widths[4], dilation=2), conv_bn_relu(widths[4], widths[4], dilation=2))
        self.aspp = ASPP(widths[4])
        self.low_level = conv_bn_relu(widths[1], LOW_LEVEL_OUT, kernel_size=1)
        self.decoder = nn.Sequential(
            conv_bn_relu(ASPP_OUT + LOW_LEVEL_OUT, ASPP_OUT),
            conv_bn_relu(ASPP_OUT, ASPP_OUT),
            nn.Conv2d(ASPP_OUT, num_classes, 1),
        )

    def forward(self, x):
        size = x.shape[-2:]
        low = self.enc1(self.stem(x))
        high = self.aspp(self.enc4(self.enc3(self.enc2(low))))
        high = F.interpolate(high, size=low.shape[-2:], mode="bilinear", align_corners=False)
        out = self.decoder(torch.cat([high, self.low_level(low)], dim=1))
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


@torch.no_grad()
def update_teacher(student, teacher, alpha, global_step):
    alpha = min(1.0 - 1.0 / (global_step + 1), alpha)
    for t_p, s_p in zip(teacher.parameters(), student.parameters()):
        t_p.mul_(alpha).add_(s_p, alpha=1.0 - alpha)
    for t_b, s_b in zip(teacher.buffers(), student.buffers()):
        t_b.copy_(s_b)


def sigmoid_rampup(step, length):
    if length == 0:
        return 1.0
    phase = 1.0 - min(step, length) / length
    return float(math.exp(-5.0 * phase * phase))


def evaluate(model, loader, num_classes, device):
    model.eval()
    hist = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    with torch.no_grad():
        for image, label in loader:
            image, label = image.to(device), label.to(device)
            pred = model(image).argmax(dim=1)
            valid = label != IGNORE_INDEX
            hist += torch.bincount(num_classes * label[valid] + pred[valid],
                                   minlength=num_classes ** 2).view(num_classes, num_classes)
    iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1).float()
    return iou.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="./data/cityscapes")
    parser.add_argument("--labeled-bs", type=int, default=16)
    parser.add_argument("--unlabeled-bs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--ema", type=float, default=0.99)
    parser.add_argument("--cons-weight", type=float, default=10.0)
    parser.add_argument("--rampup-epochs", type=int, default=10)
    args = parser.parse_args()

    device = torch.device("cuda")
    labeled = DataLoader(CityscapesLabeled(args.root, split="train_1_8"), batch_size=args.labeled_bs,
                         shuffle=True, num_workers=8, drop_last=True)
    unlabeled = DataLoader(CityscapesUnlabeled(args.root), batch_size=args.unlabeled_bs,
                           shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(CityscapesLabeled(args.root, split="val"), batch_size=4, num_workers=4)

    student = SegNet().to(device)
    teacher = SegNet().to(device)
    teacher.load_state_dict(student.state_dict())
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)

    global_step = 0
    for epoch in range(args.epochs):
        student.train()
        teacher.train()
        for (img_l, lbl), (img_u, img_u_aug) in zip(labeled, unlabeled):
            img_l, lbl = img_l.to(device), lbl.to(device)
            img_u, img_u_aug = img_u.to(device), img_u_aug.to(device)
            sup_loss = F.cross_entropy(student(img_l), lbl, ignore_index=IGNORE_INDEX)
            with torch.no_grad():
                teacher_prob = F.softmax(teacher(img_u), dim=1)
            student_prob = F.softmax(student(img_u_aug), dim=1)
            cons_loss = F.mse_loss(student_prob, teacher_prob)
            weight = args.cons_weight * sigmoid_rampup(epoch, args.rampup_epochs)
            loss = sup_loss + weight * cons_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            global_step += 1
            update_teacher(student, teacher, args.ema, global_step)
        miou_s = evaluate(student, val_loader, 19, device)
        miou_t = evaluate(teacher, val_loader, 19, device)
        print(f"epoch {epoch}: sup {sup_loss.item():.3f} cons {cons_loss.item():.4f} "
              f"mIoU student {miou_s:.4f} teacher {miou_t:.4f}")
        torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "mt_last.pth")


if __name__ == "__main__":
    main()
