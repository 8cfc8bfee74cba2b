"""Segmentation trainer with AMP, grad accumulation and poly LR."""
import json
import os

import torch
import torch.distributed as dist

from evaluation import ORGANS, evaluate, format_scores, summarise_history
from models import DiceCELoss


class SegTrainer:
    def __init__(self, model, train_loader, val_loader, *, num_classes, epochs,
                 lr, accum_steps, out_dir, device):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.num_classes = num_classes
        self.epochs = epochs
        self.accum_steps = accum_steps
        self.out_dir = out_dir
        self.device = device
        self.criterion = DiceCELoss(num_classes)
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.99,
                                         nesterov=True, weight_decay=3e-5)
        self.scheduler = torch.optim.lr_scheduler.PolynomialLR(
            self.optimizer, total_iters=epochs, power=0.9)
        self.scaler = torch.cuda.amp.GradScaler()
        self.history = []
        self.rank = dist.get_rank() if dist.is_initialized() else 0

    def log(self, msg):
        if self.rank == 0:
            print(msg, flush=True)

    def checkpoint(self, epoch, name):
        if self.rank != 0:
            return
        os.makedirs(self.out_dir, exist_ok=True)
        torch.save({
            "epoch": epoch,
            "model": self.model.module.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
        }, os.path.join(self.out_dir, name))

    def fit(self):
        self.model.train()
        for epoch in range(self.epochs):
            self.train_loader.sampler.set_epoch(epoch)
            self.optimizer.zero_grad(set_to_none=True)
            running = 0.0
            for step, (volume, label) in enumerate(self.train_loader):
                volume = volume.to(self.device, non_blocking=True)
                label = label.to(self.device, non_blocking=True)
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    loss = self.criterion(self.model(volume), label) / self.accum_steps
                self.scaler.scale(loss).backward()
                if (step + 1) % self.accum_steps == 0:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), 12.0)
                    self.scaler.step(self.optimizer)
                    self.scaler.update()
                    self.optimizer.zero_grad(set_to_none=True)
                running += loss.item() * self.accum_steps
            self.scheduler.step()
            scores = evaluate(self.model, self.val_loader, self.device, self.num_classes)  # expect: BN103
            scores["epoch"] = epoch
            scores["train_loss"] = running / len(self.train_loader)
            self.history.append(scores)
            self.log(f"epoch {epoch}: loss {scores['train_loss']:.4f}\n"
                     + format_scores(scores, ORGANS))
            best_epoch, _ = summarise_history(self.history)
            if best_epoch == epoch:
                self.checkpoint(epoch, "best.pt")
            self.checkpoint(epoch, "last.pt")
        if self.rank == 0:
            with open(os.path.join(self.out_dir, "history.json"), "w") as fh:
                json.dump(self.history, fh)
        return summarise_history(self.history)
