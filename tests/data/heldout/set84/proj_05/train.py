"""torchrun --nproc_per_node=8 train.py"""
import os

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

import configs as C
from datasets import COCOKeypoints
from models import PoseNet
from utils import build_optimizer, evaluate, heatmap_loss, init_dist


def main():
    rank, world, local_rank = init_dist()
    device = torch.device("cuda", local_rank)

    train_set = COCOKeypoints(C.COCO_ROOT, C.TRAIN_ANN, train=True)
    val_set = COCOKeypoints(C.COCO_ROOT, C.VAL_ANN, train=False)
    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=C.IMS_PER_GPU, sampler=sampler, num_workers=C.WORKERS, pin_memory=True, drop_last=True)  # expect: BN304
    val_loader = DataLoader(val_set, batch_size=32, sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=C.WORKERS)

    model = PoseNet().to(device)
    model = DDP(model, device_ids=[local_rank])
    optimizer = build_optimizer(model, C.LR * world / 8)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=C.LR_STEPS, gamma=0.1)

    for epoch in range(C.EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for it, (img, hm, vis) in enumerate(train_loader):
            img, hm, vis = img.to(device), hm.to(device), vis.to(device)
            pred_hm, vis_logits = model(img)
            loss = heatmap_loss(pred_hm, hm, vis)
            loss = loss + C.VIS_LOSS_WEIGHT * F.binary_cross_entropy_with_logits(vis_logits, vis)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if rank == 0 and it % 100 == 0:
                print(f"epoch {epoch} it {it} loss {loss.item():.6f}")
        scheduler.step()

        if (epoch + 1) % 10 == 0:
            acc = evaluate(model, val_loader, device)
            if rank == 0:
                print(f"epoch {epoch} PCK@0.5 {acc:.4f}")
                os.makedirs(C.OUT_DIR, exist_ok=True)
                torch.save(model.module.state_dict(), os.path.join(C.OUT_DIR, f"ep{epoch}.pth"))


if __name__ == "__main__":
    main()
