"""Fine-tune a ResNet-50 embedding model with ArcFace loss for product image retrieval.

The backbone's BatchNorm layers are frozen (affine params fixed, running stats kept)
because the product photos come in highly correlated mini-batches (P x K sampling).
Training is a fixed number of steps; retrieval evaluation runs once at the end.
"""
import math
import random
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Sampler
from torchvision import datasets, models, transforms

P, K = 16, 4            # classes per batch, images per class
TOTAL_STEPS = 20_000
EMB_DIM = 512


class PKSampler(Sampler):
    def __init__(self, targets, p=P, k=K, steps=TOTAL_STEPS):
        self.by_class = defaultdict(list)
        for idx, t in enumerate(targets):
            self.by_class[t].append(idx)
        self.classes = [c for c, idxs in self.by_class.items() if len(idxs) >= 2]
        self.p, self.k, self.steps = p, k, steps

    def __iter__(self):
        for _ in range(self.steps):
            batch = []
            for c in random.sample(self.classes, self.p):
                batch.extend(random.choices(self.by_class[c], k=self.k))
            yield batch

    def __len__(self):
        return self.steps


def freeze_bn(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


class ArcFace(nn.Module):
    def __init__(self, dim, n_classes, s=30.0, m=0.3):
        super().__init__()
        self.W = nn.Parameter(torch.randn(n_classes, dim) * 0.01)
        self.s, self.m = s, m

    def forward(self, emb, labels):
        cos = F.linear(F.normalize(emb), F.normalize(self.W)).clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cos)
        target = torch.cos(theta + self.m)
        onehot = F.one_hot(labels, cos.size(1)).bool()
        return F.cross_entropy(self.s * torch.where(onehot, target, cos), labels)


class Embedder(nn.Module):
    def __init__(self, dim=EMB_DIM):
        super().__init__()
        net = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        net.fc = nn.Identity()
        self.backbone = net
        self.neck = nn.Sequential(nn.Linear(2048, dim, bias=False), nn.BatchNorm1d(dim))

    def forward(self, x):
        return self.neck(self.backbone(x))


@torch.no_grad()
def embed_all(model, loader, device):
    embs, labels = [], []
    for x, y in loader:
        embs.append(F.normalize(model(x.to(device))).cpu())
        labels.append(y)
    return torch.cat(embs), torch.cat(labels)


def recall_at_1(q, qy, g, gy):
    sims = q @ g.T
    return (gy[sims.argmax(1)] == qy).float().mean().item()


def main():
    device = torch.device("cuda")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224, (0.5, 1)), transforms.RandomHorizontalFlip(),
                                   transforms.ColorJitter(0.3, 0.3, 0.3), transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    train_ds = datasets.ImageFolder("data/products/train", train_tf)
    train_dl = DataLoader(train_ds, batch_sampler=PKSampler(train_ds.targets), num_workers=8, pin_memory=True)

    model = Embedder().to(device)
    freeze_bn(model.backbone)
    arc = ArcFace(EMB_DIM, len(train_ds.classes)).to(device)
    params = [p for p in model.parameters() if p.requires_grad] + list(arc.parameters())
    opt = torch.optim.AdamW(params, lr=3e-4, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / TOTAL_STEPS)))

    for step, (x, y) in enumerate(train_dl):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = arc(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0:
            print(f"step {step:6d}  loss {loss.item():.4f}  lr {sched.get_last_lr()[0]:.2e}")

    model.eval()
    gallery = DataLoader(datasets.ImageFolder("data/products/gallery", test_tf), batch_size=256, num_workers=8)
    query = DataLoader(datasets.ImageFolder("data/products/query", test_tf), batch_size=256, num_workers=8)
    g, gy = embed_all(model, gallery, device)
    q, qy = embed_all(model, query, device)
    print(f"recall@1: {recall_at_1(q, qy, g, gy):.4f}")
    torch.save(model.state_dict(), "product_embedder.pth")


if __name__ == "__main__":
    main()
