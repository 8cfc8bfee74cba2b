"""Mini-DINO: self-distillation with no labels, ViT-Tiny with a convolutional stem
(Xiao et al., 2021) and BN-in-FFN token normalisation, on ImageNet-100.
Single GPU.
"""
import argparse
import copy
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.datasets as datasets
import torchvision.transforms as T


class ConvStem(nn.Module):
    """4 x (3x3 conv stride 2, BN, ReLU) + 1x1 projection -> (N, L, E) tokens."""

    def __init__(self, embed_dim=192, in_chans=3):
        super().__init__()
        chans = [in_chans, 24, 48, 96, 192]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(chans[-1], embed_dim, 1))
        self.proj = nn.Sequential(*layers)

    def forward(self, x):
        x = self.proj(x)                          # (N, E, H/16, W/16)
        return x.flatten(2).transpose(1, 2)       # (N, L, E)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ffn_bn = nn.BatchNorm1d(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(),
                                 nn.Linear(int(dim * mlp_ratio), dim))

    def forward(self, x):                        # x: (N, L, E)
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        h = self.ffn_bn(x.transpose(1, 2)).transpose(1, 2)   # normalise E, not L
        return x + self.mlp(h)


class ViT(nn.Module):
    def __init__(self, img_size=224, embed_dim=192, depth=12, heads=3):
        super().__init__()
        self.stem = ConvStem(embed_dim)
        n_tokens = (img_size // 16) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n_tokens + 1, embed_dim) * 0.02)
        self.blocks = nn.ModuleList([Block(embed_dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)
        self.embed_dim = embed_dim

    def interpolate_pos(self, x, n):
        if n == self.pos_embed.shape[1] - 1:
            return self.pos_embed
        cls_pos, patch_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        s0, s1 = int(math.sqrt(patch_pos.shape[1])), int(math.sqrt(n))
        patch_pos = F.interpolate(patch_pos.reshape(1, s0, s0, -1).permute(0, 3, 1, 2), size=(s1, s1),
                                  mode="bicubic", align_corners=False).permute(0, 2, 3, 1).reshape(1, -1, x.shape[-1])
        return torch.cat([cls_pos, patch_pos], 1)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1)
        x = x + self.interpolate_pos(x, x.shape[1] - 1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


class DINOHead(nn.Module):
    def __init__(self, in_dim, out_dim, use_bn=False, nlayers=3, hidden_dim=2048, bottleneck_dim=256):
        super().__init__()
        layers = [nn.Linear(in_dim, hidden_dim, bias=not use_bn)]
        if use_bn:
            layers.append(nn.BatchNorm1d(hidden_dim))
        layers.append(nn.GELU())
        for _ in range(nlayers - 2):
            layers.append(nn.Linear(hidden_dim, hidden_dim, bias=not use_bn))
            if use_bn:
                layers.append(nn.BatchNorm1d(hidden_dim))
            layers.append(nn.GELU())
        layers.append(nn.Linear(hidden_dim, bottleneck_dim))
        self.mlp = nn.Sequential(*layers)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        x = F.normalize(self.mlp(x), dim=-1, p=2)
        return self.last_layer(x)


class MultiCrop(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, crops):
        idx = torch.cumsum(torch.unique_consecutive(torch.tensor([c.shape[-1] for c in crops]),
                                                    return_counts=True)[1], 0)
        start, out = 0, []
        for end in idx:
            out.append(self.backbone(torch.cat(crops[start:end])))
            start = end
        return self.head(torch.cat(out))


class DINOLoss(nn.Module):
    def __init__(self, out_dim, ncrops, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
        super().__init__()
        self.student_temp, self.teacher_temp = student_temp, teacher_temp
        self.center_momentum, self.ncrops = center_momentum, ncrops
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, student_out, teacher_out):
        s = (student_out / self.student_temp).chunk(self.ncrops)
        t = F.softmax((teacher_out - self.center) / self.teacher_temp, dim=-1).detach().chunk(2)
        total, n = 0.0, 0
        for iq, q in enumerate(t):
            for v in range(len(s)):
                if v == iq:
                    continue
                total += torch.sum(-q * F.log_softmax(s[v], dim=-1), dim=-1).mean()
                n += 1
        self.update_center(teacher_out)
        return total / n

    @torch.no_grad()
    def update_center(self, teacher_out):
        batch_center = teacher_out.mean(dim=0, keepdim=True)
        self.center = self.center * self.center_momentum + batch_center * (1 - self.center_momentum)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/datasets/imagenet100/train")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--out-dim", type=int, default=65536)
    ap.add_argument("--momentum-teacher", type=float, default=0.996)
    args = ap.parse_args()

    flip_color = T.Compose([T.RandomHorizontalFlip(), T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
                            T.RandomGrayscale(p=0.2)])
    norm = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    glob_t = T.Compose([T.RandomResizedCrop(224, scale=(0.25, 1.0)), flip_color, norm])
    loc_t = T.Compose([T.RandomResizedCrop(96, scale=(0.05, 0.25)), flip_color, norm])
    ds = datasets.ImageFolder(args.data, transform=lambda im: [glob_t(im), glob_t(im)] + [loc_t(im) for _ in range(6)])
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True, num_workers=10,
                                         pin_memory=True, drop_last=True)

    student = MultiCrop(ViT(), DINOHead(192, args.out_dim, use_bn=True)).cuda()
    teacher = copy.deepcopy(student)
    dino_loss = DINOLoss(args.out_dim, ncrops=8).cuda()
    optimizer = torch.optim.AdamW(student.parameters(), lr=5e-4 * args.batch_size / 256, weight_decay=0.04)
    total = args.epochs * len(loader)
    momentum_schedule = 1 - (1 - args.momentum_teacher) * (np.cos(np.pi * np.arange(total) / total) + 1) / 2

    it = 0
    for epoch in range(args.epochs):
        student.train()
        teacher.train()
        for crops, _ in loader:
            crops = [c.cuda(non_blocking=True) for c in crops]
            with torch.no_grad():
                teacher_out = teacher(crops[:2])
            student_out = student(crops)
            loss = dino_loss(student_out, teacher_out)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                m = momentum_schedule[it]
                for ps, pt in zip(student.parameters(), teacher.parameters()):
                    pt.data.mul_(m).add_((1 - m) * ps.detach().data)
            it += 1
        print(f"epoch {epoch}: loss {loss.item():.4f}")
        torch.save({"teacher": teacher.state_dict(), "student": student.state_dict()}, "dino_vit_tiny.pth")


if __name__ == "__main__":
    main()
