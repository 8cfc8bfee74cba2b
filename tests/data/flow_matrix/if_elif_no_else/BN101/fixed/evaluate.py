import argparse

import torch
import torchvision

from nets import Net


def build_model(arch, num_classes):
    if arch == "resnet18":
        model = torchvision.models.resnet18(num_classes=num_classes)
    elif arch == "small":
        model = Net(num_classes)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="small")
    parser.add_argument("--weights", required=True)
    args = parser.parse_args()
    model = build_model(args.arch, 10)
    model.load_state_dict(torch.load(args.weights))
    model.eval()
    images, labels = torch.load("test_batch.pt")
    with torch.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean()
    print(f"accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
