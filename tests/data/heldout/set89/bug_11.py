"""PSPNet-R50 fine-tuning on PASCAL VOC 2012 (trainval) from a Cityscapes checkpoint.

Backbone BN is frozen (statistics and affine) because the per-GPU batch is
small; the pyramid pooling module and classifier are trained normally.
"""
import io
import os
import pickle

import lmdb
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset

VOC_TRAINVAL = 2913  # images in the VOC2012 segmentation trainval split
NUM_CLASSES = 21
BATCH_SIZE = 16
EPOCHS = 50
BASE_LR = 0.01


class VOCSegLMDB(Dataset):
    """VOC2012 trainval packed into a single LMDB (see tools/pack_voc.py)."""

    def __init__(self, path, crop=473, scale=(0.5, 2.0)):
        self.path = path
        self.crop = crop
        self.scale = scale
        self.env = None
        self.mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
        self.std = np.array([0.229, 0.224, 0.225], dtype=np.float32)

    def __len__(self):
        return VOC_TRAINVAL

    def _open(self):
        self.env = lmdb.open(self.path, readonly=True, lock=False, readahead=False, meminit=False)

    def __getitem__(self, idx):
        if self.env is None:
            self._open()
        with self.env.begin() as txn:
            rec = pickle.loads(txn.get(f"{idx:06d}".encode()))
        img = Image.open(io.BytesIO(rec["image"])).convert("RGB")
        lbl = Image.open(io.BytesIO(rec["label"]))
        s = np.random.uniform(*self.scale)
        w, h = img.size
        img = img.resize((int(w * s), int(h * s)), Image.BILINEAR)
        lbl = lbl.resize((int(w * s), int(h * s)), Image.NEAREST)
        img = (np.asarray(img, dtype=np.float32) / 255.0 - self.mean) / self.std
        lbl = np.asarray(lbl, dtype=np.int64)
        ph, pw = max(self.crop - img.shape[0], 0), max(self.crop - img.shape[1], 0)
        img = np.pad(img, ((0, ph), (0, pw), (0, 0)))
        lbl = np.pad(lbl, ((0, ph), (0, pw)), constant_values=255)
        y = np.random.randint(0, img.shape[0] - self.crop + 1)
        x = np.random.randint(0, img.shape[1] - self.crop + 1)
        img = img[y:y + self.crop, x:x + self.crop]
        lbl = lbl[y:y + self.crop, x:x + self.crop]
        if np.random.rand() < 0.5:
            img, lbl = img[:, ::-1], lbl[:, ::-1]
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))), torch.from_numpy(lbl.copy())


class PPM(nn.Module):
    def __init__(self, in_dim, reduction_dim, bins=(1, 2, 3, 6)):
        super().__init__()
        self.features = nn.ModuleList()
        for bin in bins:
            self.features.append(nn.Sequential(
                nn.AdaptiveAvgPool2d(bin),
                nn.Conv2d(in_dim, reduction_dim, kernel_size=1, bias=False),
                # moving_average_fraction from the original Caffe prototxt
                nn.BatchNorm2d(reduction_dim, momentum=0.95),  # expect: BN205
                nn.ReLU(inplace=True),
            ))

    def forward(self, x):
        x_size = x.size()
        out = [x]
        for f in self.features:
            out.append(F.interpolate(f(x), x_size[2:], mode="bilinear", align_corners=True))
        return torch.cat(out, 1)


class PSPNet(nn.Module):
    def __init__(self, classes=NUM_CLASSES, bins=(1, 2, 3, 6), dropout=0.1):
        super().__init__()
        resnet = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
        self.layer0 = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4
        fea_dim = 2048
        self.ppm = PPM(fea_dim, int(fea_dim / len(bins)), bins)
        fea_dim *= 2
        self.cls = nn.Sequential(
            nn.Conv2d(fea_dim, 512, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(512),
            nn.ReLU(inplace=True),
            nn.Dropout2d(p=dropout),
            nn.Conv2d(512, classes, kernel_size=1),
        )
        self.aux = nn.Sequential(
            nn.Conv2d(1024, 256, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Dropout2d(p=dropout),
            nn.Conv2d(256, classes, kernel_size=1),
        )

    def backbone_modules(self):
        return [self.layer0, self.layer1, self.layer2, self.layer3, self.layer4]

    def forward(self, x):
        h, w = x.shape[2:]
        x = self.layer0(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x_tmp = self.layer3(x)
        x = self.layer4(x_tmp)
        x = self.cls(self.ppm(x))
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=True)
        if self.training:
            aux = F.interpolate(self.aux(x_tmp), size=(h, w), mode="bilinear", align_corners=True)
            return x, aux
        return x


def freeze_bn(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad = False
            m.bias.requires_grad = False


def poly_lr(optimizer, base_lr, curr_iter, max_iter, power=0.9):
    lr = base_lr * (1 - float(curr_iter) / max_iter) ** power
    for i, group in enumerate(optimizer.param_groups):
        group["lr"] = lr if i == 0 else lr * 10
    return lr


def main():
    device = torch.device("cuda")
    model = PSPNet().to(device)
    ckpt = "checkpoints/pspnet50_cityscapes.pth"
    if os.path.isfile(ckpt):
        state = torch.load(ckpt, map_location="cpu")
        state = {k: v for k, v in state.items() if not k.startswith(("cls.4", "aux.4"))}
        model.load_state_dict(state, strict=False)

    for m in model.backbone_modules():
        freeze_bn(m)

    train_set = VOCSegLMDB("data/voc2012_trainval.lmdb")
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=4, pin_memory=True)  # expect: BN302

    backbone_params = [p for m in model.backbone_modules() for p in m.parameters() if p.requires_grad]
    head_params = list(model.ppm.parameters()) + list(model.cls.parameters()) + list(model.aux.parameters())
    optimizer = torch.optim.SGD([{"params": backbone_params}, {"params": head_params}],
                                lr=BASE_LR, momentum=0.9, weight_decay=1e-4)

    max_iter = EPOCHS * len(train_loader)
    it = 0
    for epoch in range(EPOCHS):
        model.train()  # expect: BN105
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            out, aux = model(images)
            loss = F.cross_entropy(out, labels, ignore_index=255) + 0.4 * F.cross_entropy(aux, labels, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            poly_lr(optimizer, BASE_LR, it, max_iter)
            it += 1
        print(f"epoch {epoch}: loss {loss.item():.4f}")
        torch.save(model.state_dict(), f"checkpoints/pspnet50_voc_e{epoch}.pth")


if __name__ == "__main__":
    main()
