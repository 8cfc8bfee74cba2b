"""Post-training static quantization of the fine-tuned ResNet-18 (x86 / fbgemm).

Loads the fine-tuned float checkpoint, fuses conv+bn+relu, calibrates on a few
hundred training images, converts to int8 and saves a TorchScript module.
"""
import argparse
import os
import time

import torch
import torch.ao.quantization as tq
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms
from torchvision.models.quantization import resnet18 as q_resnet18

NUM_CLASSES = 6


def load_float_model(ckpt):
    model = q_resnet18(weights=None, quantize=False)
    model.fc = nn.Linear(512, NUM_CLASSES)
    model.load_state_dict(torch.load(ckpt, map_location="cpu"))
    model.train(mode=False)
    return model


def calibrate(model, loader, num_batches):
    with torch.no_grad():
        for i, (x, _) in enumerate(loader):
            model(x)
            if i + 1 >= num_batches:
                break


def accuracy(model, loader):
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            n += y.numel()
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="checkpoints/r18_intel_scenes.pth")
    ap.add_argument("--data", default="data/intel-image-classification")
    ap.add_argument("--calib-batches", type=int, default=16)
    ap.add_argument("--out", default="r18_scenes_int8.pt")
    args = ap.parse_args()

    tf = transforms.Compose([transforms.Resize(160), transforms.CenterCrop(150), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_ds = datasets.ImageFolder(os.path.join(args.data, "seg_train"), tf)
    test_ds = datasets.ImageFolder(os.path.join(args.data, "seg_test"), tf)
    calib_loader = DataLoader(Subset(train_ds, list(range(0, len(train_ds), 20))), batch_size=32, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=64)

    float_model = load_float_model(args.ckpt)
    print(f"float acc: {accuracy(float_model, test_loader):.4f}")

    qmodel = load_float_model(args.ckpt)
    qmodel.fuse_model()
    qmodel.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(qmodel, inplace=True)
    calibrate(qmodel, calib_loader, args.calib_batches)
    tq.convert(qmodel, inplace=True)

    t0 = time.time()
    print(f"int8 acc: {accuracy(qmodel, test_loader):.4f} ({time.time() - t0:.1f}s)")

    example = torch.randn(1, 3, 150, 150)
    scripted = torch.jit.trace(qmodel, example)
    torch.jit.save(scripted, args.out)

    # also keep a traced float model for the GPU service
    float_model.train(False)
    torch.jit.trace(float_model, example).save(args.out.replace("int8", "fp32"))
    print("saved", args.out)


if __name__ == "__main__":
    main()
