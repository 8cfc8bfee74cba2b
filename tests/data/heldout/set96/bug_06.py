"""Re-identification embedding network (BNNeck) with token-statistics pooling."""
import torch
import torch.nn as nn
import torch.nn.functional as F

FEAT_DIM = 256
EMB_DIM = 128


def stage(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class ReIDNet(nn.Module):
    def __init__(self, num_ids=751):
        super().__init__()
        self.backbone = nn.Sequential(
            stage(3, 64), stage(64, 128), stage(128, FEAT_DIM),
        )
        # normalises every spatial token before the statistics pooling
        self.token_bn = nn.BatchNorm2d(FEAT_DIM)  # expect: BN202
        self.pool = nn.AdaptiveAvgPool2d(1)
        # BNNeck: normalise the global feature before the ID classifier
        self.neck_bn = nn.BatchNorm2d(FEAT_DIM)  # expect: BN202
        self.embed = nn.Linear(FEAT_DIM, EMB_DIM, bias=False)
        self.embed_bn = nn.BatchNorm1d(EMB_DIM)
        self.id_head = nn.Linear(EMB_DIM, num_ids, bias=False)

    def forward(self, x):
        fmap = self.backbone(x)                       # (N, C, H, W)
        n, c, h, w = fmap.shape
        tokens = fmap.view(n, c, h * w)               # (N, C, HW)
        tokens = self.token_bn(tokens)
        std = tokens.std(dim=2)                       # (N, C)
        g = self.pool(fmap)                           # (N, C, 1, 1)
        g = torch.flatten(g, 1)                       # (N, C)
        g = self.neck_bn(g) + 0.1 * std
        emb = self.embed_bn(self.embed(g))
        if self.training:
            return emb, self.id_head(emb)
        return F.normalize(emb, dim=1)


def triplet_loss(emb, labels, margin=0.3):
    dist = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    hardest_pos = (dist * same.float()).max(dim=1).values
    hardest_neg = (dist + 1e6 * same.float()).min(dim=1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean()


def train_step(model, images, labels, optimizer):
    model.train()
    optimizer.zero_grad()
    emb, logits = model(images)
    loss = F.cross_entropy(logits, labels) + triplet_loss(emb, labels)
    loss.backward()
    optimizer.step()
    return loss.detach()
