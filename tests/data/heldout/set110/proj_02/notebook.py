# %% [markdown]
# # STL-10 from scratch with a small ResNet
#
# Exported from `stl10.ipynb` with jupytext. The model lives in `nets/`,
# evaluation / loading / export helpers in `helpers.py`, settings in `config.py`.

# %%
# %load_ext autoreload
# %autoreload 2
# %matplotlib inline
import os
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
import matplotlib.pyplot as plt

from config import cfg
from nets import small_resnet
from helpers import evaluate, export_onnx, load_model

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
os.makedirs("checkpoints", exist_ok=True)

# %%
norm = transforms.Normalize((0.447, 0.440, 0.407), (0.260, 0.257, 0.271))
train_ds = datasets.STL10(cfg.data_dir, split="train", download=True, transform=transforms.Compose([transforms.RandomCrop(96, padding=8), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
test_ds = datasets.STL10(cfg.data_dir, split="test", download=True, transform=transforms.Compose([transforms.ToTensor(), norm]))
train_dl = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, num_workers=4, drop_last=True)
test_dl = DataLoader(test_ds, batch_size=256, num_workers=4)
print(len(train_ds), len(test_ds))

# %%
model = small_resnet(cfg).to(device)
opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
curve = []

# %%
model.train()
for epoch in range(cfg.epochs):
    t0 = time.time()
    for x, y in train_dl:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    acc = evaluate(model, test_dl, device)   # helper puts the model back in train mode
    curve.append(acc)
    print(f"epoch {epoch:02d} loss {loss.item():.3f} acc {acc:.4f} ({time.time() - t0:.0f}s)")

torch.save({"model": model.state_dict(), "acc": curve[-1]}, cfg.checkpoint)

# %%
plt.plot(curve)
plt.xlabel("epoch")
plt.ylabel("test acc")
plt.show()

# %% [markdown]
# ## Export the trained model
# `export_onnx` switches to eval mode before tracing.

# %%
nbytes = export_onnx(model, "stl10_resnet.onnx")
print(f"{nbytes / 1e6:.1f} MB")

# %% [markdown]
# ## Inference on a single image, from the checkpoint
# `load_model` rebuilds the network and returns it in eval mode.

# %%
clf = load_model(cfg, device)
img, label = test_ds[10]
with torch.no_grad():
    probs = F.softmax(clf(img.unsqueeze(0).to(device)), dim=1)[0]
print("true:", test_ds.classes[label], "| predicted:", test_ds.classes[probs.argmax()], f"({probs.max():.2f})")
plt.imshow((img * 0.26 + 0.43).permute(1, 2, 0).clamp(0, 1))
plt.show()
