# Deep metric learning (Stanford Online Products) with a partially frozen ResNet-18.
import argparse
import os
import random
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Sampler
from torchvision import datasets, transforms
from torchvision.models import resnet18, ResNet18_Weights

EMBED_DIM = 128
TRAINABLE_PREFIXES = ("layer4.", "embed.", "bn.")


class EmbeddingNet(nn.Module):
    def __init__(self, embed_dim=EMBED_DIM):
        super().__init__()
        base = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        base.fc = nn.Identity()
        self.conv1, self.bn1, self.relu, self.maxpool = base.conv1, base.bn1, base.relu, base.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = base.layer1, base.layer2, base.layer3, base.layer4
        self.avgpool = base.avgpool
        self.embed = nn.Linear(512, embed_dim, bias=False)
        self.bn = nn.BatchNorm2d(embed_dim)  # expect: BN202

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        x = self.bn(self.embed(x))
        return F.normalize(x, dim=1)


class PKSampler(Sampler):
    """P classes x K images per batch."""

    def __init__(self, targets, p=16, k=4):
        self.p, self.k = p, k
        self.index = defaultdict(list)
        for i, t in enumerate(targets):
            self.index[t].append(i)
        self.classes = [c for c, v in self.index.items() if len(v) >= k]

    def __iter__(self):
        random.shuffle(self.classes)
        for s in range(0, len(self.classes) - self.p + 1, self.p):
            batch = []
            for c in self.classes[s:s + self.p]:
                batch.extend(random.sample(self.index[c], self.k))
            yield batch

    def __len__(self):
        return len(self.classes) // self.p


def batch_hard_triplet(emb, labels, margin=0.2):
    dist = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    hardest_pos = (dist * same.float()).max(1).values
    hardest_neg = (dist + same.float() * 1e6).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean()


@torch.no_grad()
def recall_at_1(model, loader, device):
    model.eval()
    embs, labels = [], []
    for x, y in loader:
        embs.append(model(x.to(device)).cpu())
        labels.append(y)
    embs, labels = torch.cat(embs), torch.cat(labels)
    sim = embs @ embs.T
    sim.fill_diagonal_(-2.0)
    nn_idx = sim.argmax(1)
    model.train()
    return (labels[nn_idx] == labels).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/Stanford_Online_Products/split")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-4)
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tf_train = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    tf_test = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_ds = datasets.ImageFolder(os.path.join(args.root, "train"), tf_train)
    test_ds = datasets.ImageFolder(os.path.join(args.root, "test"), tf_test)
    train_loader = DataLoader(train_ds, batch_sampler=PKSampler(train_ds.targets), num_workers=8)
    test_loader = DataLoader(test_ds, batch_size=256, num_workers=8)

    model = EmbeddingNet().to(device)
    for name, p in model.named_parameters():
        if not name.startswith(TRAINABLE_PREFIXES):
            p.requires_grad = False  # expect: BN105

    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=5e-4)
    model.train()
    for epoch in range(args.epochs):
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = batch_hard_triplet(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        r1 = recall_at_1(model, test_loader, device)
        print(f"epoch {epoch:03d} loss {loss.item():.4f} R@1 {r1:.4f}")
        torch.save(model.state_dict(), "embnet_sop.pth")


if __name__ == "__main__":
    main()
