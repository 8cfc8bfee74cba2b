#!/usr/bin/env python
"""ResNet-18 on Fashion-MNIST (96x96), d2l chapter 8.6 -- course repo version."""
import argparse
import os

import torch
from torch import nn

from d2l_lite import evaluate_accuracy, load_data_fashion_mnist, predict, prepare_inference, resnet18, train_epoch


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--out", default="runs/resnet18")
    p.add_argument("--export", action="store_true")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size, resize=96)

    net = resnet18().to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss = nn.CrossEntropyLoss()
    os.makedirs(args.out, exist_ok=True)

    for epoch in range(args.epochs):
        train_l, train_acc = train_epoch(net, train_iter, loss, optimizer, device)
        test_acc = evaluate_accuracy(net, test_iter, device)
        print(f"epoch {epoch + 1}: loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
        torch.save(net.state_dict(), os.path.join(args.out, "resnet18.pt"))

    X, y = next(iter(test_iter))
    preds = predict(net, X[:8], device)
    print("true:", y[:8].tolist())
    print("pred:", preds.tolist())

    if args.export:
        export_net = resnet18()
        export_net.load_state_dict(torch.load(os.path.join(args.out, "resnet18.pt"), map_location="cpu"))
        export_net = prepare_inference(export_net)
        torch.onnx.export(export_net, torch.randn(1, 1, 96, 96), os.path.join(args.out, "resnet18.onnx"),
                          input_names=["image"], output_names=["logits"])


if __name__ == "__main__":
    main()
