"""Train ResNetLike on CIFAR-10 with CE + SupCon auxiliary loss.

    python train.py --epochs 90 --supcon-weight 0.1
"""
import argparse

import torch
import torch.nn as nn

import configs as C
from datasets import build_loaders
from models import build_model
from models.heads import supcon_loss
from utils import AverageMeter, Timer, build_optimizer, count_parameters, evaluate, save_checkpoint


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=C.EPOCHS)
    p.add_argument("--lr", type=float, default=C.LR)
    p.add_argument("--supcon-weight", type=float, default=0.1)
    p.add_argument("--resume", type=str, default="")
    return p.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(C.SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader, val_loader, _ = build_loaders()
    model = build_model(with_projection=args.supcon_weight > 0).to(device)
    print(f"params: {count_parameters(model):.2f}M")

    optimizer = build_optimizer(model, args.lr, C.MOMENTUM, C.WEIGHT_DECAY, nesterov=C.NESTEROV)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=C.MILESTONES, gamma=C.GAMMA)
    criterion = nn.CrossEntropyLoss(label_smoothing=C.LABEL_SMOOTHING)

    start_epoch, best_acc = 0, 0.0
    if args.resume:
        state = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_acc = state["epoch"] + 1, state["best_acc"]

    model.train()
    for epoch in range(start_epoch, args.epochs):
        loss_meter = AverageMeter("loss")
        with Timer() as t:
            for step, (images, targets) in enumerate(train_loader):
                images = images.to(device, non_blocking=True)
                targets = targets.to(device, non_blocking=True)

                if args.supcon_weight > 0:
                    logits, z = model(images, return_proj=True)
                    loss = criterion(logits, targets) + args.supcon_weight * supcon_loss(z, targets)
                else:
                    logits = model(images)
                    loss = criterion(logits, targets)

                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_meter.update(loss.item(), images.size(0))

                if step % C.LOG_EVERY == 0:
                    print(f"epoch {epoch} step {step} loss {loss_meter.avg:.4f}")
        scheduler.step()

        val_acc = evaluate(model, val_loader, device)  # expect: BN103
        is_best = val_acc > best_acc
        best_acc = max(best_acc, val_acc)
        print(f"epoch {epoch}: val acc {val_acc:.2f} (best {best_acc:.2f}) [{t.elapsed:.0f}s]")
        save_checkpoint({
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "best_acc": best_acc,
        }, C.CKPT_DIR, is_best=is_best)


if __name__ == "__main__":
    main()
