"""Minimal callback-driven training engine."""
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score


class Engine:
    def __init__(self, model, optimizer, scheduler, loaders, *, epochs, accum_steps=1,
                 amp=True, callbacks=(), device="cuda"):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.loaders = loaders
        self.epochs = epochs
        self.accum_steps = accum_steps
        self.amp = amp
        self.device = device
        self.callbacks = list(callbacks)
        self.scaler = torch.cuda.amp.GradScaler(enabled=amp)
        self.start_epoch = 0
        self.should_stop = False

    def _fire(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def save_checkpoint(self, path, epoch):
        torch.save({"epoch": epoch, "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "scaler": self.scaler.state_dict()}, path)

    def resume(self, path):
        ckpt = torch.load(path, map_location=self.device)
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.scaler.load_state_dict(ckpt["scaler"])
        self.start_epoch = ckpt["epoch"] + 1

    def train_epoch(self, epoch):
        self.model.train()
        self._fire("on_train_epoch_start", epoch)  # callbacks may re-freeze parts of the model
        total, steps = 0.0, 0
        self.optimizer.zero_grad(set_to_none=True)
        for i, (x, y) in enumerate(self.loaders["train"]):
            x, y = x.to(self.device), y.to(self.device)
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.amp):
                loss = F.cross_entropy(self.model(x), y) / self.accum_steps
            self.scaler.scale(loss).backward()
            if (i + 1) % self.accum_steps == 0:
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
            total += loss.item() * self.accum_steps
            steps += 1
        self.scheduler.step()
        logs = {"train_loss": total / max(steps, 1)}
        self._fire("on_train_epoch_end", epoch, logs)
        return logs

    @torch.no_grad()
    def validate(self, epoch):
        self.model.eval()
        preds, targets = [], []
        for x, y in self.loaders["val"]:
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.amp):
                logits = self.model(x.to(self.device))
            preds.append(logits.argmax(1).cpu())
            targets.append(y)
        preds, targets = torch.cat(preds), torch.cat(targets)
        logs = {"val_acc": (preds == targets).float().mean().item(),
                "val_f1": f1_score(targets.numpy(), preds.numpy(), average="macro")}
        self._fire("on_validation_end", epoch, logs)
        return logs

    def fit(self):
        self._fire("on_fit_start")
        for epoch in range(self.start_epoch, self.epochs):
            logs = self.train_epoch(epoch)
            logs.update(self.validate(epoch))
            print(f"epoch {epoch}: " + " ".join(f"{k}={v:.4f}" for k, v in logs.items()))
            if self.should_stop:
                break
        self._fire("on_fit_end")

    @torch.inference_mode()
    def predict(self, loader):
        self.model.eval()
        return torch.cat([self.model(x.to(self.device)).softmax(1).cpu() for x, _ in loader])
