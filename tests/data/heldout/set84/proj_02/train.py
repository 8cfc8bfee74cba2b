"""Fine-tune the ASPP head on VOC with a frozen ImageNet encoder.

Freezing the encoder lets us use batch 16 at 512x512 on a single 24 GB card.
"""
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

import configs as C
from datasets import VOCSeg
from models import DeepLabLite
from utils import build_optimizer, evaluate, poly_lr


def main():
    cfg = C.TRAIN
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(cfg["out_dir"], exist_ok=True)

    train_set = VOCSeg(cfg["data_root"], cfg["train_list"], train=True)
    val_set = VOCSeg(cfg["data_root"], cfg["val_list"], train=False)
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True,
                              num_workers=cfg["num_workers"], pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=2)

    model = DeepLabLite()
    missing, _ = model.backbone.load_pretrained(cfg["pretrained"])
    print(f"encoder: {len(missing)} missing keys")
    model.backbone.requires_grad_(False)  # expect: BN105
    model.to(device)

    optimizer = build_optimizer(model, cfg)
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    criterion = nn.CrossEntropyLoss(ignore_index=C.IGNORE_INDEX)

    max_it = cfg["epochs"] * len(train_loader)
    it, best = 0, 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        for img, mask in train_loader:
            img, mask = img.to(device), mask.to(device)
            poly_lr(optimizer, base_lrs, it, max_it, cfg["poly_power"])
            loss = criterion(model(img), mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            it += 1
            if it % 50 == 0:
                print(f"it {it}/{max_it} loss {loss.item():.4f}")

        if (epoch + 1) % cfg["eval_every"] == 0:
            miou = evaluate(model, val_loader, device)
            print(f"epoch {epoch}: mIoU {miou:.4f}")
            if miou > best:
                best = miou
                torch.save(model.state_dict(), os.path.join(cfg["out_dir"], "best.pth"))
    torch.save(model.state_dict(), os.path.join(cfg["out_dir"], "last.pth"))


if __name__ == "__main__":
    main()
