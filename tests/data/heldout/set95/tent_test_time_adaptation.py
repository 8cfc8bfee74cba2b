"""TENT: fully test-time adaptation by entropy minimisation (Wang et al., ICLR 2021).

At test time the model is *deliberately* kept in training mode: BN layers
normalise with the statistics of the current test batch, and only their
affine parameters are updated, by minimising the entropy of the predictions.
Running statistics are disabled (track_running_stats=False and the buffers
dropped) so nothing but the BN affine parameters changes.
"""
import argparse
from copy import deepcopy

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, resnet50


def softmax_entropy(logits):
    return -(logits.softmax(1) * logits.log_softmax(1)).sum(1)


def configure_model(model):
    """Train mode for test-time BN; gradients only for the BN affine parameters."""
    model.train()
    model.requires_grad_(False)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(True)
            # force use of batch stats in train and eval modes, keep no buffers
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
    return model


def collect_bn_params(model):
    params, names = [], []
    for nm, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            for np_, p in m.named_parameters():
                if np_ in ("weight", "bias"):
                    params.append(p)
                    names.append(f"{nm}.{np_}")
    return params, names


class Tent(nn.Module):
    """Wraps a model; every forward adapts the BN affine params, then predicts."""

    def __init__(self, model, optimizer, steps=1, episodic=False):
        super().__init__()
        self.model = model
        self.optimizer = optimizer
        self.steps = steps
        self.episodic = episodic
        self.model_state = deepcopy(model.state_dict())
        self.optimizer_state = deepcopy(optimizer.state_dict())

    def forward(self, x):
        if self.episodic:
            self.reset()
        for _ in range(self.steps):
            outputs = self.forward_and_adapt(x)
        return outputs

    def reset(self):
        self.model.load_state_dict(self.model_state, strict=True)
        self.optimizer.load_state_dict(self.optimizer_state)

    @torch.enable_grad()
    def forward_and_adapt(self, x):
        outputs = self.model(x)
        loss = softmax_entropy(outputs).mean(0)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return outputs


def build_corrupted_loader(root, corruption, severity, batch_size):
    tf = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = datasets.ImageFolder(f"{root}/{corruption}/{severity}", transform=tf)
    return DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=8)


def run_tent(args, device):
    base = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1).to(device)
    model = configure_model(base)
    params, _ = collect_bn_params(model)
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9)
    tented = Tent(model, optimizer, steps=args.steps, episodic=args.episodic)

    errors = {}
    for corruption in args.corruptions:
        loader = build_corrupted_loader(args.root, corruption, args.severity, args.batch_size)
        correct = total = 0
        for x, y in loader:
            # adaptation step (backward on the entropy) + prediction, in train mode
            outputs = tented(x.to(device))
            correct += (outputs.argmax(1).cpu() == y).sum().item()
            total += y.numel()
        errors[corruption] = 1 - correct / total
        print(f"{corruption:>20s}: error {100 * errors[corruption]:.2f}%")
    return errors


def run_source_baseline(args, device):
    model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1).to(device)
    model.eval()
    errors = {}
    with torch.no_grad():
        for corruption in args.corruptions:
            loader = build_corrupted_loader(args.root, corruption, args.severity, args.batch_size)
            correct = total = 0
            for x, y in loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
                total += y.numel()
            errors[corruption] = 1 - correct / total
    return errors


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/ImageNet-C")
    ap.add_argument("--corruptions", nargs="+",
                    default=["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur"])
    ap.add_argument("--severity", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.00025)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--episodic", action="store_true")
    args = ap.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    src = run_source_baseline(args, dev)
    tent = run_tent(args, dev)
    for c in args.corruptions:
        print(f"{c:>20s}: source {100 * src[c]:.2f}%  tent {100 * tent[c]:.2f}%")
