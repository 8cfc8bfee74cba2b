"""Held-out evaluation of the proxy model: accuracy + per-class 'dice' of predictions."""
import torch

import configs as C
from datasets import normalise, paint_blobs
from models import GradeNet
from utils import dice_per_class, seed_everything

S = C.VOLUME_SIZE


def run_test(model, x, y, chunk=32):
    preds = []
    for i in range(0, x.shape[0], chunk):
        logits = model(x[i:i + chunk])  # expect: BN101
        preds.append(logits.argmax(1))
    preds = torch.cat(preds)
    acc = (preds == y).float().mean().item()
    return acc, dice_per_class(preds, y, C.NUM_CLASSES)


def main():
    seed_everything(C.SEED + 1)
    test_x = 0.1 * torch.randn(C.NUM_TEST, C.IN_CHANNELS, S, S, S)
    test_y = torch.randint(0, C.NUM_CLASSES, (C.NUM_TEST,))
    test_x = normalise(paint_blobs(test_x, test_y, seed=3))

    model = GradeNet(C.IN_CHANNELS, C.NUM_CLASSES)
    model.load_state_dict(torch.load(C.CKPT, map_location="cpu"))

    acc, dice = run_test(model, test_x, test_y)
    print(f"test accuracy {acc:.4f}")
    for c, d in enumerate(dice):
        print(f"  class {c}: dice {d:.3f}")


if __name__ == "__main__":
    main()
