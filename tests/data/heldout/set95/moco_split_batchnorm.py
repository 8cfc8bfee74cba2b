"""MoCo v2 on CIFAR-10 on a single GPU, with SplitBatchNorm (ghost BN).

Multi-GPU MoCo relies on per-GPU BN ("shuffle BN") to avoid the model
cheating through batch statistics. On one GPU we simulate it with a BN
subclass that normalises ``num_splits`` sub-batches independently in training
mode. A kNN monitor on the query encoder is run after every epoch.
"""
import argparse
import copy
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet18


class SplitBatchNorm(nn.BatchNorm2d):
    def __init__(self, num_features, num_splits, **kw):
        super().__init__(num_features, **kw)
        self.num_splits = num_splits

    def forward(self, input):
        N, C, H, W = input.shape
        if self.training or not self.track_running_stats:
            running_mean_split = self.running_mean.repeat(self.num_splits)
            running_var_split = self.running_var.repeat(self.num_splits)
            outcome = F.batch_norm(
                input.view(-1, C * self.num_splits, H, W), running_mean_split, running_var_split,
                self.weight.repeat(self.num_splits), self.bias.repeat(self.num_splits),
                True, self.momentum, self.eps).view(N, C, H, W)
            self.running_mean.data.copy_(running_mean_split.view(self.num_splits, C).mean(dim=0))
            self.running_var.data.copy_(running_var_split.view(self.num_splits, C).mean(dim=0))
            return outcome
        return F.batch_norm(input, self.running_mean, self.running_var,
                            self.weight, self.bias, False, self.momentum, self.eps)


class ModelBase(nn.Module):
    """ResNet-18 with a CIFAR stem; BN layers are SplitBatchNorm."""

    def __init__(self, feature_dim=128, bn_splits=8):
        super().__init__()
        norm_layer = partial(SplitBatchNorm, num_splits=bn_splits)
        net = resnet18(num_classes=feature_dim, norm_layer=norm_layer)
        net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        self.net = net

    def forward(self, x):
        return self.net(x)


class MoCo(nn.Module):
    def __init__(self, dim=128, K=4096, m=0.99, T=0.1, bn_splits=8):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = ModelBase(dim, bn_splits)
        self.encoder_k = copy.deepcopy(self.encoder_q)
        for param_k in self.encoder_k.parameters():
            param_k.requires_grad = False  # updated by momentum, not by gradient
        self.register_buffer("queue", F.normalize(torch.randn(dim, K), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        ptr = int(self.queue_ptr)
        self.queue[:, ptr:ptr + keys.shape[0]] = keys.t()
        self.queue_ptr[0] = (ptr + keys.shape[0]) % self.K

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():  # key encoder: part of the training step, no gradient
            self._momentum_update_key_encoder()
            idx = torch.randperm(im_k.shape[0], device=im_k.device)
            k = F.normalize(self.encoder_k(im_k[idx]), dim=1)
            k = k[torch.argsort(idx)]
        l_pos = torch.einsum("nc,nc->n", q, k).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", q, self.queue.clone().detach())
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        loss = F.cross_entropy(logits, labels)
        self._dequeue_and_enqueue(k)
        return loss


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, x):
        return self.tf(x), self.tf(x)


def train(net, loader, optimizer, epoch, device):
    net.train()
    total = 0.0
    for (im_1, im_2), _ in loader:
        loss = net(im_1.to(device, non_blocking=True), im_2.to(device, non_blocking=True))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def knn_test(encoder, memory_loader, test_loader, device, k=200, t=0.1, classes=10):
    encoder.eval()
    feats, labels = [], []
    for x, y in memory_loader:
        feats.append(F.normalize(encoder(x.to(device)), dim=1))
        labels.append(y.to(device))
    bank, bank_labels = torch.cat(feats).t(), torch.cat(labels)
    correct = total = 0
    for x, y in test_loader:
        f = F.normalize(encoder(x.to(device)), dim=1)
        sim, idx = (f @ bank).topk(k, dim=-1)
        weights = (sim / t).exp()
        one_hot = F.one_hot(bank_labels[idx], classes).float()
        pred = (one_hot * weights.unsqueeze(-1)).sum(1).argmax(1)
        correct += (pred.cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=512)
    args = ap.parse_args()
    device = "cuda"
    norm = transforms.Normalize([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])
    aug = transforms.Compose([
        transforms.RandomResizedCrop(32), transforms.RandomHorizontalFlip(),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2), transforms.ToTensor(), norm])
    plain = transforms.Compose([transforms.ToTensor(), norm])
    train_data = datasets.CIFAR10("data", train=True, transform=TwoCrops(aug), download=True)
    memory_data = datasets.CIFAR10("data", train=True, transform=plain, download=True)
    test_data = datasets.CIFAR10("data", train=False, transform=plain, download=True)
    train_loader = DataLoader(train_data, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, pin_memory=True, drop_last=True)
    memory_loader = DataLoader(memory_data, batch_size=512, num_workers=8)
    test_loader = DataLoader(test_data, batch_size=512, num_workers=8)

    model = MoCo().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.06, weight_decay=5e-4, momentum=0.9)
    for epoch in range(args.epochs):
        loss = train(model, train_loader, optimizer, epoch, device)
        acc = knn_test(model.encoder_q, memory_loader, test_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f}  kNN acc {100 * acc:.2f}%")
    torch.save(model.encoder_q.state_dict(), "moco_cifar_encoder_q.pt")


if __name__ == "__main__":
    main()
