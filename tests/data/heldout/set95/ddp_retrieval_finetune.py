"""Multi-GPU fine-tuning of a ResNet-50 embedding model for product retrieval.

Launch: torchrun --nproc_per_node=4 ddp_retrieval_finetune.py --data /data/products

The backbone keeps its BatchNorm layers; they are synchronised across GPUs.
The embedding neck is a BN-neck (bottleneck BN before the classifier, as in
the person re-ID "bag of tricks" baseline).
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, resnet50


class EmbeddingNet(nn.Module):
    def __init__(self, num_classes, embed_dim=512):
        super().__init__()
        backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.neck = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2048, embed_dim, bias=False),
            nn.BatchNorm2d(embed_dim),  # expect: BN202
        )
        self.classifier = nn.Linear(embed_dim, num_classes, bias=False)

    def forward(self, x):
        emb = self.neck(self.backbone(x))
        return emb, self.classifier(emb)


def batch_hard_triplet(emb, labels, margin=0.3):
    dist_mat = torch.cdist(emb, emb)
    same = labels[:, None].eq(labels[None, :])
    hardest_pos = (dist_mat * same.float()).max(1).values
    hardest_neg = (dist_mat + 1e6 * same.float()).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean()


@torch.no_grad()
def recall_at_1(model, loader, device):
    model.eval()
    embs, labels = [], []
    for x, y in loader:
        emb, _ = model(x.to(device))
        embs.append(F.normalize(emb, dim=1))
        labels.append(y.to(device))
    embs, labels = torch.cat(embs), torch.cat(labels)
    sim = embs @ embs.t()
    sim.fill_diagonal_(-2)
    nn_idx = sim.argmax(1)
    return (labels[nn_idx] == labels).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=64, help="per GPU")
    ap.add_argument("--lr", type=float, default=3.5e-4)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm, transforms.RandomErasing(0.5)])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                  transforms.ToTensor(), norm])
    train_set = datasets.ImageFolder(os.path.join(args.data, "train"), train_tf)
    test_set = datasets.ImageFolder(os.path.join(args.data, "test"), test_tf)
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=128, num_workers=8)

    model = EmbeddingNet(num_classes=len(train_set.classes)).to(device)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            emb, logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1) + batch_hard_triplet(emb, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        if dist.get_rank() == 0 and epoch % 5 == 4:
            r1 = recall_at_1(model.module, test_loader, device)
            print(f"epoch {epoch + 1}: recall@1 {100 * r1:.2f}%")
    if dist.get_rank() == 0:
        torch.save(model.module.state_dict(), "retrieval_r50.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
