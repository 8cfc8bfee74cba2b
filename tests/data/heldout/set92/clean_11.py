# %% [markdown]
# # Lab 9 - the same CIFAR-10 CNN, now with PyTorch Lightning
# Lightning switches the model to eval mode for validation/test/predict and back
# to train mode afterwards, so the *_step methods below do not call model.eval().

# %%
import matplotlib.pyplot as plt
import pandas as pd
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader, random_split

# %%
HPARAMS = {"lr": 0.1, "batch_size": 128, "epochs": 20, "width": 64, "weight_decay": 5e-4}
pl.seed_everything(42)

# %%
class LitCNN(pl.LightningModule):
    def __init__(self, lr=0.1, width=64, weight_decay=5e-4, **kwargs):
        super().__init__()
        self.save_hyperparameters()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, 10),
        )

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(dim=1)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9,
                              weight_decay=self.hparams.weight_decay, nesterov=True)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.hparams.lr,
                                                    total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

# %%
norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
full = torchvision.datasets.CIFAR10("data", train=True, download=True,
                                    transform=T.Compose([T.RandomCrop(32, 4), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
test_set = torchvision.datasets.CIFAR10("data", train=False, download=True, transform=T.Compose([T.ToTensor(), norm]))
train_set, val_set = random_split(full, [45000, 5000])
train_loader = DataLoader(train_set, batch_size=HPARAMS["batch_size"], shuffle=True, num_workers=4)
val_loader = DataLoader(val_set, batch_size=512, num_workers=4)
test_loader = DataLoader(test_set, batch_size=512, num_workers=4)

# %%
model = LitCNN(**HPARAMS)
logger = pl.loggers.CSVLogger("logs", name="lab9")
trainer = pl.Trainer(max_epochs=HPARAMS["epochs"], accelerator="auto", logger=logger)
trainer.fit(model, train_loader, val_loader)
trainer.test(model, test_loader)

# %%
metrics = pd.read_csv(f"{logger.log_dir}/metrics.csv")
ep = metrics.groupby("epoch").mean(numeric_only=True)
ep[["val_loss"]].plot()
ep[["val_acc"]].plot()
plt.show()

# %%
probs = torch.cat(trainer.predict(model, test_loader))
print("test acc from predict:", (probs.argmax(1) == torch.tensor(test_set.targets)).float().mean().item())

# %%
# quick look at a few test images outside Lightning: switch to eval ourselves
model.eval()
imgs = torch.stack([test_set[i][0] for i in range(8)])
with torch.no_grad():
    pred = model(imgs).argmax(1)
fig, axes = plt.subplots(1, 8, figsize=(14, 2))
for ax, img, p in zip(axes, imgs, pred):
    ax.imshow((img * 0.25 + 0.48).permute(1, 2, 0).clamp(0, 1))
    ax.set_title(test_set.classes[p])
    ax.axis("off")
plt.show()
