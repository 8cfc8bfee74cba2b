"""Semi-supervised fine-tuning (FixMatch-style pseudo labels from an EMA teacher).

Labelled + unlabelled folders, ImageNet-pretrained ResNet-26d from timm.
The EMA copy is kept in eval mode and is only ever updated through `ema_update`.
"""
import copy
import itertools

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T

CONF_THRESHOLD = 0.95
LAMBDA_U = 1.0
EMA_DECAY = 0.999
STEPS_PER_EPOCH = 500
EPOCHS = 40


class TwoViews:
    def __init__(self, weak, strong):
        self.weak, self.strong = weak, strong

    def __call__(self, img):
        return self.weak(img), self.strong(img)


def make_ema(model: nn.Module) -> nn.Module:
    ema = copy.deepcopy(model)
    ema.eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float = EMA_DECAY):
    for e, m in zip(ema.state_dict().values(), model.state_dict().values()):
        if e.dtype.is_floating_point:
            e.mul_(decay).add_(m.detach(), alpha=1 - decay)
        else:
            e.copy_(m)


@torch.no_grad()
def evaluate(model, loader, device):
    correct = total = 0
    for x, y in loader:
        logits = model(x.to(device))
        correct += (logits.argmax(1).cpu() == y).sum().item()
        total += len(y)
    return correct / total


def main():
    device = torch.device("cuda")
    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    weak = T.Compose([T.RandomResizedCrop(160, scale=(0.6, 1)), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    strong = T.Compose([T.RandomResizedCrop(160, scale=(0.3, 1)), T.RandomHorizontalFlip(),
                        T.RandAugment(num_ops=2, magnitude=10), T.ToTensor(), norm, T.RandomErasing()])
    test_tf = T.Compose([T.Resize(182), T.CenterCrop(160), T.ToTensor(), norm])

    labelled = datasets.ImageFolder("data/labelled", weak)
    unlabelled = datasets.ImageFolder("data/unlabelled", TwoViews(weak, strong))
    test = datasets.ImageFolder("data/test", test_tf)
    lab_loader = DataLoader(labelled, batch_size=32, shuffle=True, num_workers=6, drop_last=True)
    unl_loader = DataLoader(unlabelled, batch_size=32 * 7, shuffle=True, num_workers=12, drop_last=True)
    test_loader = DataLoader(test, batch_size=256, num_workers=6)

    model = timm.create_model("resnet26d", pretrained=True, num_classes=len(labelled.classes)).to(device)
    ema_model = make_ema(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * STEPS_PER_EPOCH)

    lab_iter, unl_iter = itertools.cycle(lab_loader), itertools.cycle(unl_loader)
    for epoch in range(EPOCHS):
        model.train()
        stats = {"sup": 0.0, "unsup": 0.0, "mask": 0.0}
        for _ in range(STEPS_PER_EPOCH):
            x_l, y_l = next(lab_iter)
            (x_w, x_s), _ = next(unl_iter)
            x_l, y_l, x_w, x_s = x_l.to(device), y_l.to(device), x_w.to(device), x_s.to(device)

            with torch.no_grad():
                pseudo = ema_model(x_w).softmax(1)
                conf, y_hat = pseudo.max(1)
                mask = (conf >= CONF_THRESHOLD).float()

            logits = model(torch.cat([x_l, x_s]))
            logits_l, logits_s = logits[: len(x_l)], logits[len(x_l):]
            sup = F.cross_entropy(logits_l, y_l)
            unsup = (F.cross_entropy(logits_s, y_hat, reduction="none") * mask).mean()
            loss = sup + LAMBDA_U * unsup

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            ema_update(ema_model, model)

            stats["sup"] += sup.item()
            stats["unsup"] += unsup.item()
            stats["mask"] += mask.mean().item()

        model.eval()
        acc = evaluate(model, test_loader, device)
        ema_acc = evaluate(ema_model, test_loader, device)
        print(f"epoch {epoch}: " + " ".join(f"{k}={v / STEPS_PER_EPOCH:.3f}" for k, v in stats.items())
              + f" acc={acc:.4f} ema_acc={ema_acc:.4f}")
        torch.save({"model": model.state_dict(), "ema": ema_model.state_dict()}, "fixmatch_r26d.pth")


if __name__ == "__main__":
    main()
