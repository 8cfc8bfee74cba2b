"""Semi-supervised keypoint detection with a mean teacher (SimCC-style head).

Labelled COCO person crops + unlabelled crops from AI Challenger. The teacher
is an exponential moving average of the student and, as in the original Mean
Teacher recipe, it is run in training mode on the unlabelled batch so its BN
layers see the same augmentation statistics as the student.
"""
import copy
import itertools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from kpt_data import LabelledCrops, UnlabelledCrops, strong_aug, weak_aug

BATCH_LABELLED = 8
BATCH_UNLABELLED = 16
NUM_KPTS = 17
INPUT_SIZE = (256, 192)
SIMCC_SPLIT = 2.0
TOTAL_ITERS = 60000
EVAL_EVERY = 2000
EMA_DECAY = 0.999


def conv_bn(cin, cout, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False),
        nn.BatchNorm2d(cout, momentum=0.1),
        nn.ReLU(inplace=True),
    )


class SimCCNet(nn.Module):
    def __init__(self, num_kpts=NUM_KPTS, input_size=INPUT_SIZE, split=SIMCC_SPLIT):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_bn(3, 32, 2), conv_bn(32, 32, 1, groups=32), conv_bn(32, 64, 2),
            conv_bn(64, 128, 2), conv_bn(128, 128, 1), conv_bn(128, 256, 2), conv_bn(256, 256, 1),
        )
        h, w = input_size[0] // 16, input_size[1] // 16
        self.final = nn.Conv2d(256, num_kpts, 1)
        self.mlp = nn.Linear(h * w, 256)
        self.cls_x = nn.Linear(256, int(input_size[1] * split))
        self.cls_y = nn.Linear(256, int(input_size[0] * split))

    def forward(self, x):
        feats = self.final(self.backbone(x)).flatten(2)  # (N, K, h*w)
        feats = F.gelu(self.mlp(feats))
        return self.cls_x(feats), self.cls_y(feats)


def simcc_loss(pred_x, pred_y, tgt_x, tgt_y, weight):
    lx = F.kl_div(F.log_softmax(pred_x, -1), tgt_x, reduction="none").sum(-1)
    ly = F.kl_div(F.log_softmax(pred_y, -1), tgt_y, reduction="none").sum(-1)
    return ((lx + ly) * weight).mean()


@torch.no_grad()
def ema_update(teacher, student, decay):
    for t, s in zip(teacher.state_dict().values(), student.state_dict().values()):
        if t.dtype.is_floating_point:
            t.mul_(decay).add_(s.detach(), alpha=1 - decay)


def validate(model, loader, device):
    model.eval()
    correct, total = 0.0, 0.0
    with torch.no_grad():
        for img, tgt_x, tgt_y, weight in loader:
            img = img.to(device)
            px, py = model(img)
            ok = (px.argmax(-1).cpu() - tgt_x.argmax(-1)).abs().le(2 * SIMCC_SPLIT) & \
                 (py.argmax(-1).cpu() - tgt_y.argmax(-1)).abs().le(2 * SIMCC_SPLIT)
            correct += (ok.float() * weight).sum().item()
            total += weight.sum().item()
    model.train()
    return correct / max(total, 1.0)


def main():
    device = torch.device("cuda")
    student = SimCCNet().to(device)
    teacher = copy.deepcopy(student)  # updated only through ema_update(), never by the optimizer

    labelled = DataLoader(LabelledCrops("data/coco", "train2017", weak_aug), batch_size=BATCH_LABELLED,
                          shuffle=True, num_workers=4, drop_last=True)
    unlabelled = DataLoader(UnlabelledCrops("data/aic", weak_aug, strong_aug), batch_size=BATCH_UNLABELLED,
                            shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(LabelledCrops("data/coco", "val2017", None), batch_size=64, num_workers=4)

    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda it: 0.5 * (1 + math.cos(math.pi * it / TOTAL_ITERS)))

    student.train()
    teacher.train()
    lab_iter, unl_iter = itertools.cycle(labelled), itertools.cycle(unlabelled)
    for it in range(TOTAL_ITERS):
        img, tgt_x, tgt_y, weight = [t.to(device) for t in next(lab_iter)]
        u_weak, u_strong = [t.to(device) for t in next(unl_iter)]

        px, py = student(img)
        sup = simcc_loss(px, py, tgt_x, tgt_y, weight)

        with torch.no_grad():
            tx, ty = teacher(u_weak)
            pseudo_x, pseudo_y = F.softmax(tx, -1), F.softmax(ty, -1)
            conf = torch.minimum(pseudo_x.max(-1)[0], pseudo_y.max(-1)[0])
            mask = (conf > 0.5).float()
        sx, sy = student(u_strong)
        unsup = simcc_loss(sx, sy, pseudo_x, pseudo_y, mask)

        loss = sup + 2.0 * unsup
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        ema_update(teacher, student, EMA_DECAY)

        if (it + 1) % EVAL_EVERY == 0:
            acc_s = validate(student, val_loader, device)
            acc_t = validate(teacher, val_loader, device)
            print(f"it {it + 1}: sup {sup.item():.4f} unsup {unsup.item():.4f} "
                  f"PCK student {acc_s:.4f} teacher {acc_t:.4f}")
            torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()}, "mt_simcc.pth")


if __name__ == "__main__":
    main()
