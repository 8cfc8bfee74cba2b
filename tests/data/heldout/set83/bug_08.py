"""Hybrid CNN-Transformer U-Net (TransUNet-lite) for Synapse multi-organ CT.

Training samples are random axial slices from the 18 training volumes
(preprocessed to 224x224 npz by the TransUNet data script).
"""
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.ndimage import rotate, zoom
from torch.utils.data import DataLoader, Dataset

DATA_DIR = "../data/Synapse/train_npz"
LIST_DIR = "./lists/lists_Synapse"
NUM_CLASSES = 9
IMG_SIZE = 224
EMBED_DIM = 384
DEPTH = 6
SAMPLES_PER_EPOCH = 2401
BATCH_SIZE = 24
MAX_EPOCHS = 150
BASE_LR = 0.01
SAVE_DIR = "./model/transunet_lite_synapse"


class SynapseRandomSlices(Dataset):
    def __init__(self, data_dir, list_file):
        with open(list_file) as f:
            self.names = [line.strip() for line in f]
        self.data_dir = data_dir

    def __len__(self):
        return SAMPLES_PER_EPOCH

    def __getitem__(self, idx):
        name = random.choice(self.names)
        data = np.load(os.path.join(self.data_dir, name + ".npz"))
        image, label = data["image"], data["label"]
        if random.random() > 0.5:
            k = np.random.randint(0, 4)
            image, label = np.rot90(image, k), np.rot90(label, k)
        elif random.random() > 0.5:
            angle = np.random.randint(-20, 20)
            image = rotate(image, angle, order=0, reshape=False)
            label = rotate(label, angle, order=0, reshape=False)
        x, y = image.shape
        if (x, y) != (IMG_SIZE, IMG_SIZE):
            image = zoom(image, (IMG_SIZE / x, IMG_SIZE / y), order=3)
            label = zoom(label, (IMG_SIZE / x, IMG_SIZE / y), order=0)
        return torch.from_numpy(image.astype(np.float32).copy())[None], torch.from_numpy(label.astype(np.int64).copy())


def cbr(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class TransUNetLite(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES, embed_dim=EMBED_DIM, depth=DEPTH):
        super().__init__()
        self.stem = cbr(1, 64)
        self.enc1 = cbr(64, 128, 2)    # 112
        self.enc2 = cbr(128, 256, 2)   # 56
        self.enc3 = cbr(256, 512, 2)   # 28
        self.patch_embed = nn.Conv2d(512, embed_dim, kernel_size=2, stride=2)  # 14x14 tokens
        self.pos = nn.Parameter(torch.zeros(1, (IMG_SIZE // 16) ** 2, embed_dim))
        layer = nn.TransformerEncoderLayer(embed_dim, nhead=6, dim_feedforward=4 * embed_dim,
                                           dropout=0.1, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, depth)
        self.token_norm = nn.BatchNorm1d(embed_dim)
        self.bridge = cbr(embed_dim, 512)
        self.dec3 = cbr(512 + 512, 256)
        self.dec2 = cbr(256 + 256, 128)
        self.dec1 = cbr(128 + 128, 64)
        self.dec0 = cbr(64 + 64, 64)
        self.head = nn.Conv2d(64, num_classes, 1)

    def forward(self, x):
        s0 = self.stem(x)
        s1 = self.enc1(s0)
        s2 = self.enc2(s1)
        s3 = self.enc3(s2)
        t = self.patch_embed(s3)
        n, e, h, w = t.shape
        tokens = t.flatten(2).transpose(1, 2) + self.pos      # (N, L, E)
        tokens = self.transformer(tokens)
        tokens = self.token_norm(tokens)  # expect: BN203
        t = tokens.transpose(1, 2).reshape(n, e, h, w)
        y = self.bridge(F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False))
        y = self.dec3(torch.cat([y, s3], 1))
        y = self.dec2(torch.cat([F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False), s2], 1))
        y = self.dec1(torch.cat([F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False), s1], 1))
        y = self.dec0(torch.cat([F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False), s0], 1))
        return self.head(y)


class DiceLoss(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.n_classes = n_classes

    def forward(self, logits, target):
        prob = torch.softmax(logits, 1)
        onehot = F.one_hot(target, self.n_classes).permute(0, 3, 1, 2).float()
        inter = (prob * onehot).sum((0, 2, 3))
        union = prob.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
        return 1 - ((2 * inter + 1e-5) / (union + 1e-5))[1:].mean()


def worker_init_fn(worker_id):
    random.seed(1234 + worker_id)
    np.random.seed(1234 + worker_id)


def trainer_synapse():
    os.makedirs(SAVE_DIR, exist_ok=True)
    db_train = SynapseRandomSlices(DATA_DIR, os.path.join(LIST_DIR, "train.txt"))
    trainloader = DataLoader(db_train, batch_size=BATCH_SIZE, shuffle=True, num_workers=8, pin_memory=True,  # expect: BN302
                             worker_init_fn=worker_init_fn)
    model = TransUNetLite().cuda()
    ce_loss = nn.CrossEntropyLoss()
    dice_loss = DiceLoss(NUM_CLASSES)
    optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=0.9, weight_decay=1e-4)
    max_iterations = MAX_EPOCHS * len(trainloader)
    iter_num = 0
    for epoch_num in range(MAX_EPOCHS):
        model.train()
        for image_batch, label_batch in trainloader:
            image_batch, label_batch = image_batch.cuda(), label_batch.cuda()
            outputs = model(image_batch)
            loss = 0.5 * ce_loss(outputs, label_batch) + 0.5 * dice_loss(outputs, label_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            lr_ = BASE_LR * (1.0 - iter_num / max_iterations) ** 0.9
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr_
            iter_num += 1
        print(f"epoch {epoch_num}: loss {loss.item():.4f} lr {lr_:.5f}")
        if (epoch_num + 1) % 50 == 0:
            torch.save(model.state_dict(), os.path.join(SAVE_DIR, f"epoch_{epoch_num}.pth"))

    model.eval()
    example = torch.zeros(1, 1, IMG_SIZE, IMG_SIZE, device="cuda")
    scripted = torch.jit.trace(model, example)
    scripted.save(os.path.join(SAVE_DIR, "transunet_lite.ts"))


if __name__ == "__main__":
    trainer_synapse()
