"""SimSiam on CIFAR-10 (single GPU), ResNet-18 backbone, with a kNN monitor
every few epochs.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T


class SimSiam(nn.Module):
    def __init__(self, base_encoder, dim=2048, pred_dim=512):
        super().__init__()
        # num_classes is the output fc dimension, zero-init last BNs
        self.encoder = base_encoder(num_classes=dim, zero_init_residual=True)
        self.encoder.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)   # CIFAR stem
        self.encoder.maxpool = nn.Identity()

        prev_dim = self.encoder.fc.weight.shape[1]
        self.encoder.fc = nn.Sequential(
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            self.encoder.fc,
            nn.BatchNorm1d(dim, affine=False),
        )
        self.encoder.fc[6].bias.requires_grad = False  # hack: not use bias as it is followed by BN

        self.predictor = nn.Sequential(
            nn.Linear(dim, pred_dim, bias=False),
            nn.BatchNorm1d(pred_dim),
            nn.ReLU(inplace=True),
            nn.Linear(pred_dim, dim),
        )

    def forward(self, x1, x2):
        z1 = self.encoder(x1)
        z2 = self.encoder(x2)
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


def knn_monitor(net, memory_loader, test_loader, k=200, t=0.1, num_classes=10):
    net.eval()
    feature_bank, labels = [], []
    with torch.no_grad():
        for data, target in memory_loader:
            feature = F.normalize(net(data.cuda(non_blocking=True)), dim=1)
            feature_bank.append(feature)
            labels.append(target.cuda(non_blocking=True))
        feature_bank = torch.cat(feature_bank, 0).t().contiguous()
        feature_labels = torch.cat(labels, 0)
        total_top1, total_num = 0.0, 0
        for data, target in test_loader:
            data, target = data.cuda(non_blocking=True), target.cuda(non_blocking=True)
            feature = F.normalize(net(data), dim=1)
            sim_matrix = torch.mm(feature, feature_bank)
            sim_weight, sim_indices = sim_matrix.topk(k=k, dim=-1)
            sim_labels = torch.gather(feature_labels.expand(data.size(0), -1), dim=-1, index=sim_indices)
            sim_weight = (sim_weight / t).exp()
            one_hot = torch.zeros(data.size(0) * k, num_classes, device=sim_labels.device)
            one_hot = one_hot.scatter(dim=-1, index=sim_labels.view(-1, 1), value=1.0)
            pred_scores = torch.sum(one_hot.view(data.size(0), -1, num_classes) * sim_weight.unsqueeze(-1), dim=1)
            pred_labels = pred_scores.argsort(dim=-1, descending=True)
            total_num += data.size(0)
            total_top1 += (pred_labels[:, 0] == target).float().sum().item()
    return total_top1 / total_num * 100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--epochs", type=int, default=800)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--lr", type=float, default=0.06)
    ap.add_argument("--knn-every", type=int, default=10)
    args = ap.parse_args()

    normalize = T.Normalize([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])
    aug = T.Compose([T.RandomResizedCrop(32, scale=(0.2, 1.0)),
                     T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
                     T.RandomGrayscale(p=0.2), T.RandomHorizontalFlip(), T.ToTensor(), normalize])
    plain = T.Compose([T.ToTensor(), normalize])

    class Pair(torchvision.datasets.CIFAR10):
        def __getitem__(self, i):
            img, _ = super().__getitem__(i)
            return img

    train_set = Pair(args.data, train=True, download=True, transform=T.Lambda(lambda im: (aug(im), aug(im))))
    memory_set = torchvision.datasets.CIFAR10(args.data, train=True, transform=plain)
    test_set = torchvision.datasets.CIFAR10(args.data, train=False, transform=plain)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                               num_workers=8, pin_memory=True, drop_last=True)
    memory_loader = torch.utils.data.DataLoader(memory_set, batch_size=512, shuffle=False, num_workers=8)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=512, shuffle=False, num_workers=8)

    model = SimSiam(torchvision.models.resnet18).cuda()
    criterion = nn.CosineSimilarity(dim=1).cuda()
    init_lr = args.lr * args.batch_size / 256
    optim_params = [{"params": model.encoder.parameters(), "fix_lr": False},
                    {"params": model.predictor.parameters(), "fix_lr": True}]
    optimizer = torch.optim.SGD(optim_params, init_lr, momentum=0.9, weight_decay=5e-4)

    for epoch in range(args.epochs):
        cur_lr = init_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / args.epochs))
        for g in optimizer.param_groups:
            g["lr"] = init_lr if g["fix_lr"] else cur_lr

        model.train()
        for x1, x2 in train_loader:
            x1, x2 = x1.cuda(non_blocking=True), x2.cuda(non_blocking=True)
            p1, p2, z1, z2 = model(x1, x2)
            loss = -(criterion(p1, z2).mean() + criterion(p2, z1).mean()) * 0.5
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        if (epoch + 1) % args.knn_every == 0:
            acc = knn_monitor(model.encoder, memory_loader, test_loader)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} kNN acc {acc:.2f}")
    torch.save(model.state_dict(), "simsiam_cifar10.pth")


if __name__ == "__main__":
    main()
