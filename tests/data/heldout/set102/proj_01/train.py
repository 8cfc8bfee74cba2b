import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from data import IGNORE_INDEX, SegFolder
from models import build_model

CFG = {
    "data_root": "data/voc_small",
    "backbone_ckpt": "weights/backbone_imagenet.pth",
    "num_classes": 21,
    "batch_size": 16,
    "epochs": 40,
    "lr": 1e-3,
    "out_dir": "runs",
}


def confusion(pred, target, n):
    k = target != IGNORE_INDEX
    return torch.bincount(n * target[k] + pred[k], minlength=n * n).reshape(n, n)


@torch.no_grad()
def validate(model, loader, device, n_classes):
    model.eval()
    hist = torch.zeros(n_classes, n_classes, dtype=torch.long, device=device)
    for img, mask in loader:
        img, mask = img.to(device), mask.to(device)
        pred = model(img).argmax(1)
        hist += confusion(pred.flatten(), mask.flatten(), n_classes)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main(cfg=CFG):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(cfg["out_dir"], exist_ok=True)

    train_loader = DataLoader(SegFolder(cfg["data_root"], "train"), batch_size=cfg["batch_size"], shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(SegFolder(cfg["data_root"], "val"), batch_size=8, num_workers=4)

    model = build_model(cfg["num_classes"], cfg["backbone_ckpt"]).to(device)
    # freeze_backbone: only the head is trained
    model.backbone.requires_grad_(False)  # expect: BN105
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=cfg["epochs"] * len(train_loader), power=0.9)

    best = 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        for img, mask in train_loader:
            img, mask = img.to(device), mask.to(device)
            loss = F.cross_entropy(model(img), mask, ignore_index=IGNORE_INDEX)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        miou = validate(model, val_loader, device, cfg["num_classes"])
        print(f"epoch {epoch}: loss {loss.item():.4f} mIoU {miou:.4f}")
        if miou > best:
            best = miou
            torch.save(model.state_dict(), os.path.join(cfg["out_dir"], "segnet_best.pth"))
            torch.save(model.backbone.state_dict(), os.path.join(cfg["out_dir"], "backbone_after.pth"))


if __name__ == "__main__":
    main()
