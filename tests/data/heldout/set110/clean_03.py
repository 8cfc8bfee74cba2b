# %% [markdown]
# # Cats vs dogs: frozen ResNet-34 features, then full fine-tuning, then ONNX
#
# Stage 1 freezes the pretrained backbone **including its BatchNorm statistics**:
# after every `model.train()` we put the BN layers back into eval mode.

# %%
# !pip install -q onnx onnxruntime
import os
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, models, transforms
import matplotlib.pyplot as plt

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.backends.cudnn.benchmark = True

# %%
IMG = 224
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
train_tf = transforms.Compose([transforms.RandomResizedCrop(IMG), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(mean, std)])
val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(IMG), transforms.ToTensor(), transforms.Normalize(mean, std)])

full = datasets.ImageFolder("../input/cats-dogs/train", transform=train_tf)
n_val = int(0.1 * len(full))
train_ds, val_ds = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(1))
train_dl = DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=4, drop_last=True)
val_dl = DataLoader(val_ds, batch_size=64, num_workers=4)

# %%
model = models.resnet34(weights=models.ResNet34_Weights.DEFAULT)
model.fc = nn.Linear(model.fc.in_features, 2)
model = model.to(device)

for name, p in model.named_parameters():
    if not name.startswith("fc."):
        p.requires_grad = False


def set_bn_eval(m):
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        m.eval()


# %%
criterion = nn.CrossEntropyLoss()


def run_validation(net):
    net.eval()
    correct = 0
    with torch.no_grad():
        for x, y in val_dl:
            correct += (net(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(val_ds)


# %% [markdown]
# ## Stage 1: train only the new `fc`

# %%
opt = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    model.apply(set_bn_eval)  # keep frozen BN stats frozen
    for x, y in train_dl:
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"[stage 1] epoch {epoch}: val acc {run_validation(model):.4f}")

# %% [markdown]
# ## Stage 2: unfreeze everything and fine-tune with a small LR
# Now the BN layers are trainable again, so plain `model.train()` is what we want.

# %%
for p in model.parameters():
    p.requires_grad = True
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=4 * len(train_dl))

for epoch in range(4):
    model.train()
    for x, y in train_dl:
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    print(f"[stage 2] epoch {epoch}: val acc {run_validation(model):.4f}")

# %%
torch.save(model.state_dict(), "catsdogs_resnet34.pt")

# %% [markdown]
# ## Export to ONNX

# %%
model.eval()
dummy = torch.randn(1, 3, IMG, IMG, device=device)
torch.onnx.export(model, dummy, "catsdogs.onnx", input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})

# %%
import onnxruntime as ort
sess = ort.InferenceSession("catsdogs.onnx", providers=["CPUExecutionProvider"])
with torch.no_grad():
    ref = model(dummy).cpu().numpy()
onnx_out = sess.run(None, {"input": dummy.cpu().numpy()})[0]
print("max abs diff:", np.abs(ref - onnx_out).max())
