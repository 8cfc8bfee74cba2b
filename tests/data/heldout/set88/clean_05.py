# Resolution of "freeze_bn has no effect?": model.train() at the start of each
# epoch switches every BatchNorm back to training mode, so freeze_bn() has to
# be called *after* model.train(), not once before the loop.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from datasets import VOCSegmentation  # local module, returns (image, mask)

cfg = dict(
    num_classes=21,
    lr=0.01,
    batch_size=16,
    epochs=30,
    backbone_ckpt="checkpoints/backbone_imagenet.pth",
)


class SegNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Conv2d(256, num_classes, kernel_size=1)

    def forward(self, x):
        h, w = x.shape[-2:]
        out = self.classifier(self.backbone(x))
        return F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False)

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()


def main():
    device = torch.device("cuda")
    model = SegNet(cfg["num_classes"])
    model.backbone.load_state_dict(torch.load(cfg["backbone_ckpt"]), strict=False)
    model.to(device)

    train_set = VOCSegmentation("data/VOC2012", split="train")
    loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=4, drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, weight_decay=1e-4)

    for epoch in range(cfg["epochs"]):
        model.train()
        model.freeze_bn()
        for images, masks in loader:
            images, masks = images.to(device), masks.to(device)
            logits = model(images)
            loss = F.cross_entropy(logits, masks, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
        torch.save(model.state_dict(), f"checkpoints/segnet_{epoch:03d}.pth")


if __name__ == "__main__":
    main()
