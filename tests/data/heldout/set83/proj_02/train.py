import json
import os

import torch
from torch.utils.data import DataLoader

from config import get_config
from datasets import TN3K
from engine import evaluate, train_one_epoch
from models import AttU_Net


def main():
    cfg = get_config()
    os.makedirs(cfg["out_dir"], exist_ok=True)
    with open(os.path.join(cfg["out_dir"], "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    device = torch.device("cuda")
    d = cfg["data"]

    train_set = TN3K(d["root"], "trainval", d["image_size"], train=True)
    test_set = TN3K(d["root"], "test", d["image_size"], train=False)
    train_loader = DataLoader(train_set, batch_size=cfg["train"]["batch_size"], shuffle=True,
                              num_workers=d["num_workers"], pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=1, shuffle=False, num_workers=d["num_workers"])

    model = AttU_Net(img_ch=1, output_ch=1, base=cfg["model"]["base"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["optim"]["lr"],
                                  weight_decay=cfg["optim"]["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg["optim"]["epochs"])
    scaler = torch.cuda.amp.GradScaler()
    start, best = 0, 0.0
    if cfg["resume"]:
        ck = torch.load(cfg["resume"], map_location=device)
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        start, best = ck["epoch"] + 1, ck["best"]

    for epoch in range(start, cfg["optim"]["epochs"]):
        loss = train_one_epoch(model, train_loader, optimizer, scaler, device)
        scheduler.step()
        dice, iou = evaluate(model, test_loader, device)
        print(f"[{epoch:03d}] loss {loss:.4f} | dice {dice:.4f} iou {iou:.4f}")
        ck = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch, "best": best}
        if dice > best:
            best = ck["best"] = dice
            torch.save(ck, os.path.join(cfg["out_dir"], "best.pth"))
        torch.save(ck, os.path.join(cfg["out_dir"], "last.pth"))

    model.load_state_dict(torch.load(os.path.join(cfg["out_dir"], "best.pth"))["model"])
    dice, iou = evaluate(model, test_loader, device, flip_tta=True)
    print(f"best checkpoint with flip-TTA: dice {dice:.4f} iou {iou:.4f}")


if __name__ == "__main__":
    main()
