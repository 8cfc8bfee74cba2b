# Plant Seedlings - mean-teacher + pseudo labels + 8x TTA   (kernel v21, LB 0.967)
# ------------------------------------------------------------------------------
# * EMA "teacher" gives soft targets for a consistency loss during training
# * pseudo labels are refreshed every PL_EVERY epochs with the teacher
# * final prediction: teacher, eval mode, dihedral TTA, one image at a time

import copy
import glob
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader, Dataset
import torchvision.transforms as T

ROOT = "../input/plant-seedlings-classification"
IMG = 128
BS = 48
EPOCHS = 36
PL_EVERY = 12
PL_THR = 0.97
EMA_DECAY = 0.999
CONS_W = 2.0
device = "cuda"

CLASSES = sorted(os.listdir(f"{ROOT}/train"))
items = [(f, i) for i, c in enumerate(CLASSES) for f in glob.glob(f"{ROOT}/train/{c}/*.png")]
test_files = sorted(glob.glob(f"{ROOT}/test/*.png"))
aug = T.Compose([T.RandomResizedCrop(IMG, scale=(0.6, 1)), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
                 T.ColorJitter(0.2, 0.2), T.ToTensor()])
plain = T.Compose([T.Resize((IMG, IMG)), T.ToTensor()])


class ImgDS(Dataset):
    def __init__(self, items, tf):
        self.items, self.tf = items, tf

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        p, y = self.items[i]
        return self.tf(Image.open(p).convert("RGB")), y


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
        nn.MaxPool2d(2),
    )


model = nn.Sequential(
    block(3, 32), block(32, 64), block(64, 128), block(128, 256),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    nn.Linear(256, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(True),
    nn.Linear(128, len(CLASSES)),
).to(device)
teacher = copy.deepcopy(model)      # never passed to the optimizer; updated by ema_update only


@torch.no_grad()
def ema_update(student, teacher, decay=EMA_DECAY):
    for ps, pt in zip(student.parameters(), teacher.parameters()):
        pt.mul_(decay).add_(ps.detach(), alpha=1 - decay)
    for bs, bt in zip(student.buffers(), teacher.buffers()):
        bt.copy_(bs)


@torch.no_grad()
def pseudo_label(net, files):
    net.eval()
    out = []
    for f in files:
        x = plain(Image.open(f).convert("RGB")).unsqueeze(0).to(device)
        prob = F.softmax(net(x), 1)[0]
        if prob.max() >= PL_THR:
            out.append((f, int(prob.argmax())))
    return out


base_ds = ImgDS(items, aug)
train_loader = DataLoader(base_ds, batch_size=BS, shuffle=True, num_workers=4, drop_last=True)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)

for epoch in range(EPOCHS):
    model.train()
    teacher.train()
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        with torch.no_grad():
            soft = F.softmax(teacher(x), dim=1)        # teacher targets for the consistency term
        loss = F.cross_entropy(logits, y) + CONS_W * F.kl_div(F.log_softmax(logits, 1), soft, reduction="batchmean")
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema_update(model, teacher)
    sched.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")

    if (epoch + 1) % PL_EVERY == 0 and epoch + 1 < EPOCHS:
        pl = pseudo_label(teacher, test_files)       # puts the teacher in eval; reset at the top of the loop
        print(f"  {len(pl)} pseudo labels")
        train_loader = DataLoader(ConcatDataset([base_ds, ImgDS(pl, aug)]), batch_size=BS,
                                  shuffle=True, num_workers=4, drop_last=True)

# ---------------- TTA inference (batch of one, eval mode)
test_loader = DataLoader(ImgDS([(f, -1) for f in test_files], plain), batch_size=1, shuffle=False)
teacher.eval()
preds = []
with torch.no_grad():
    for x, _ in test_loader:
        x = x.to(device)
        views = [torch.rot90(v, k, dims=(2, 3)) for v in (x, x.flip(3)) for k in range(4)]
        prob = torch.stack([F.softmax(teacher(v), 1) for v in views]).mean(0)
        preds.append(prob.argmax(1).item())

sub = pd.DataFrame({"file": [os.path.basename(f) for f in test_files], "species": [CLASSES[i] for i in preds]})
sub.to_csv("submission.csv", index=False)
print(sub.head())
