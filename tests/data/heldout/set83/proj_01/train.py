import logging
import os
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from config import CFG
from data import LAHeart
from models import VNet
from utils import dice_loss, run_validation


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


def main():
    set_seed(CFG["seed"])
    os.makedirs(CFG["snapshot_dir"], exist_ok=True)
    logging.basicConfig(filename=os.path.join(CFG["snapshot_dir"], "log.txt"), level=logging.INFO,
                        format="[%(asctime)s] %(message)s")
    logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
    writer = SummaryWriter(os.path.join(CFG["snapshot_dir"], "tb"))

    train_set = LAHeart(CFG["root"], CFG["train_list"], CFG["patch_size"], train=True)
    val_set = LAHeart(CFG["root"], CFG["test_list"], train=False)
    train_loader = DataLoader(train_set, batch_size=CFG["batch_size"], shuffle=True, num_workers=4, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=CFG["val_batch_size"], shuffle=False, num_workers=1)

    device = torch.device("cuda")
    model = VNet(n_channels=1, n_classes=2, n_filters=CFG["n_filters"]).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=CFG["base_lr"], momentum=0.9, weight_decay=1e-4)
    max_iter = CFG["max_epochs"] * len(train_loader)

    model.train()
    it, best = 0, 0.0
    for epoch in range(CFG["max_epochs"]):
        for image, label in train_loader:
            image, label = image.to(device), label.to(device)
            logits = model(image)
            loss = 0.5 * F.cross_entropy(logits, label) + 0.5 * dice_loss(logits, label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            lr = CFG["base_lr"] * (1 - it / max_iter) ** 0.9
            for g in optimizer.param_groups:
                g["lr"] = lr
            it += 1
            writer.add_scalar("train/loss", loss.item(), it)
        logging.info("epoch %d iter %d loss %.4f", epoch, it, loss.item())

        if (epoch + 1) % CFG["val_interval"] == 0:
            dice = run_validation(model, val_loader, CFG["patch_size"], device)  # expect: BN103
            writer.add_scalar("val/dice", dice, it)
            logging.info("  validation dice %.4f", dice)
            if dice > best:
                best = dice
                torch.save(model.state_dict(), os.path.join(CFG["snapshot_dir"], "best_model.pth"))

    torch.save(model.state_dict(), os.path.join(CFG["snapshot_dir"], "last_model.pth"))
    writer.close()


if __name__ == "__main__":
    main()
