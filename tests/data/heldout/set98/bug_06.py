"""Fine-tuning a small ResNet on a 10-class texture set -- a port of our Flax code.

Flax original (for reference):
    norm = partial(nn.BatchNorm, use_running_average=not train, momentum=0.9, epsilon=1e-5)
    state = TrainState.create(apply_fn=model.apply, params=params, tx=tx, batch_stats=bs)
    logits = state.apply_fn({'params': p, 'batch_stats': bs}, x, train=False)
In Flax, "train" is an explicit argument; here the module carries the flag.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

CONFIG = {
    "learning_rate": 3e-4,
    "batch_size": 64,
    "num_epochs": 20,
    "pretrained": "resnet_textures_pretrain.pt",
}

# torch momentum is the weight of the new batch: flax momentum 0.9 -> 0.1
Norm = partial(nn.BatchNorm2d, momentum=1 - 0.9, eps=1e-5)


class ResNetBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.norm1 = Norm(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.norm2 = Norm(out_ch)
        self.proj = None
        if stride != 1 or in_ch != out_ch:
            self.proj = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), Norm(out_ch))

    def forward(self, x):
        residual = x if self.proj is None else self.proj(x)
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.relu(residual + y)


class ResNet10(nn.Module):
    def __init__(self, num_classes=10, widths=(64, 128, 256, 512)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 7, 2, 3, bias=False), Norm(widths[0]), nn.ReLU())
        blocks, in_ch = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(ResNetBlock(in_ch, w, stride=1 if i == 0 else 2))
            in_ch = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.blocks(F.max_pool2d(self.stem(x), 3, 2, 1))
        return self.head(x.mean(dim=(2, 3)))


def freeze_batch_stats(model):
    """flax: use_running_average=True for the pretrained batch_stats."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def train_step(model, optimizer, batch):
    images, labels = batch
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"loss": loss.item(), "accuracy": (logits.argmax(-1) == labels).float().mean().item()}


def eval_step(model, batch):
    images, labels = batch
    model.training = False  # expect: BN102
    with torch.no_grad():
        logits = model(images)  # expect: BN101
    return {"loss": F.cross_entropy(logits, labels).item(),
            "accuracy": (logits.argmax(-1) == labels).float().mean().item()}


def main():
    tf = transforms.Compose([transforms.Resize(128), transforms.CenterCrop(112), transforms.ToTensor()])
    train_ds = datasets.ImageFolder("dtd10/train", tf)
    test_ds = datasets.ImageFolder("dtd10/test", tf)
    train_loader = DataLoader(train_ds, batch_size=CONFIG["batch_size"], shuffle=True, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=256)

    model = ResNet10(num_classes=10)
    model.load_state_dict(torch.load(CONFIG["pretrained"], map_location="cpu"), strict=False)
    freeze_batch_stats(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["learning_rate"], weight_decay=1e-4)

    for epoch in range(CONFIG["num_epochs"]):
        model.train()  # expect: BN105
        train_metrics = [train_step(model, optimizer, batch) for batch in train_loader]
        eval_metrics = [eval_step(model, batch) for batch in test_loader]
        summary = {
            "train_loss": sum(m["loss"] for m in train_metrics) / len(train_metrics),
            "test_accuracy": sum(m["accuracy"] for m in eval_metrics) / len(eval_metrics),
        }
        print(f"epoch {epoch}: {summary}")


if __name__ == "__main__":
    main()
