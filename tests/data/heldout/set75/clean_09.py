# 3D CNN for the lung nodule mini-project (32x32x32 patches saved as .npy)
# my GPU only fits batch 8 with 3d convs
import glob
from collections import OrderedDict
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import Dataset, DataLoader
import matplotlib.pyplot as plt

BATCH = 8


class PatchDataset(Dataset):
    def __init__(self, folder):
        self.files = sorted(glob.glob(folder + "/*.npy"))
        self.labels = [1 if "_pos" in f else 0 for f in self.files]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        vol = np.load(self.files[i]).astype(np.float32)
        vol = (vol - vol.mean()) / (vol.std() + 1e-5)
        return torch.from_numpy(vol).unsqueeze(0), self.labels[i]


def conv_block(cin, cout, norm_layer=nn.BatchNorm3d):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv3d(cin, cout, kernel_size=3, padding=1, bias=False)),
        ("norm", norm_layer(cout)),
        ("act", nn.ReLU(inplace=True)),
    ]))


class Nodule3DNet(nn.Module):
    HIDDEN = 64

    def __init__(self, in_ch=1, base=16, n_classes=2):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("block1", conv_block(in_ch, base)),
            ("pool1", nn.MaxPool3d(2)),
            ("block2", conv_block(base, base * 2)),
            ("pool2", nn.MaxPool3d(2)),
            ("conv3", nn.Conv3d(base * 2, base * 4, 3, padding=1, bias=False)),
            ("bn3", nn.BatchNorm3d(base * 4)),
            ("relu3", nn.ReLU(inplace=True)),
            ("gap", nn.AdaptiveAvgPool3d(1)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("flat", nn.Flatten()),
            ("fc1", nn.Linear(base * 4, self.HIDDEN, bias=False)),
            ("bn_fc", nn.BatchNorm1d(self.HIDDEN)),
            ("relu", nn.ReLU()),
            ("drop", nn.Dropout(0.3)),
            ("fc2", nn.Linear(self.HIDDEN, n_classes)),
        ]))

    def forward(self, x):
        return self.classifier(self.features(x))


train_ds = PatchDataset("patches/train")
val_ds = PatchDataset("patches/val")
train_dl = DataLoader(train_ds, batch_size=BATCH, shuffle=True, num_workers=4)
val_dl = DataLoader(val_ds, batch_size=4)
print(len(train_ds), "train patches", len(val_ds), "val patches")

device = "cuda" if torch.cuda.is_available() else "cpu"
net = Nodule3DNet().to(device)
opt = torch.optim.Adam(net.parameters(), lr=3e-4)
lossfn = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0], device=device))

history = []
best = 0.0
for epoch in range(25):
    net.train()
    for vol, lab in train_dl:
        vol, lab = vol.to(device), lab.to(device)
        loss = lossfn(net(vol), lab)
        opt.zero_grad()
        loss.backward()
        opt.step()

    net.eval()
    tp = fp = fn = tn = 0
    with torch.no_grad():
        for vol, lab in val_dl:
            pred = net(vol.to(device)).argmax(1).cpu()
            tp += ((pred == 1) & (lab == 1)).sum().item()
            fp += ((pred == 1) & (lab == 0)).sum().item()
            fn += ((pred == 0) & (lab == 1)).sum().item()
            tn += ((pred == 0) & (lab == 0)).sum().item()
    sens = tp / max(tp + fn, 1)
    spec = tn / max(tn + fp, 1)
    history.append((sens, spec))
    print(f"epoch {epoch}: loss {loss.item():.3f} sens {sens:.3f} spec {spec:.3f}")
    if sens + spec > best:
        best = sens + spec
        torch.save(net.state_dict(), "nodule3d_best.pth")

plt.plot([h[0] for h in history], label="sensitivity")
plt.plot([h[1] for h in history], label="specificity")
plt.legend()
plt.show()
