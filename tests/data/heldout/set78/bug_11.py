"""x-vector speaker embedding network (TDNN) over filterbank features.

Features come from the Kaldi-style extractor as (batch, frames, FEAT_DIM);
the TDNN frame layers are dilated Conv1d layers over (batch, FEAT_DIM, frames),
followed by statistics pooling (mean and standard deviation over time).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

FEAT_DIM = 40
EMBED_DIM = 512
N_SPEAKERS = 1211


class TDNNLayer(nn.Module):
    def __init__(self, in_dim, out_dim, context, dilation):
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=context, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))


class StatsPool(nn.Module):
    def forward(self, x):
        mean = x.mean(dim=-1)
        std = x.var(dim=-1, unbiased=False).clamp_min(1e-5).sqrt()
        return torch.cat([mean, std], dim=1)


class XVector(nn.Module):
    def __init__(self, feat_dim=FEAT_DIM, embed_dim=EMBED_DIM, n_speakers=N_SPEAKERS):
        super().__init__()
        self.frame1 = TDNNLayer(feat_dim, 512, context=5, dilation=1)
        self.frame2 = TDNNLayer(512, 512, context=3, dilation=2)
        self.frame3 = TDNNLayer(512, 512, context=3, dilation=3)
        self.frame4 = nn.Sequential(
            nn.Conv1d(512, 512, kernel_size=1, bias=False),
            nn.ReLU(),
            nn.BatchNorm1d(256),  # expect: BN201
        )
        self.frame5 = TDNNLayer(512, 1500, context=1, dilation=1)
        self.pool = StatsPool()
        self.segment6 = nn.Linear(3000, embed_dim, bias=False)
        self.bn6 = nn.BatchNorm1d(1500)  # expect: BN201
        self.segment7 = nn.Linear(embed_dim, embed_dim, bias=False)
        self.bn7 = nn.BatchNorm1d(embed_dim)
        self.output = nn.Linear(embed_dim, n_speakers)

    def embed(self, feats):
        x = feats.transpose(1, 2)
        x = self.frame3(self.frame2(self.frame1(x)))
        x = self.frame5(self.frame4(x))
        x = self.pool(x)
        return self.bn6(self.segment6(x))

    def forward(self, feats):
        emb = F.relu(self.embed(feats))
        h = F.relu(self.bn7(self.segment7(emb)))
        return self.output(h)


def cmvn(feats):
    return (feats - feats.mean(dim=1, keepdim=True)) / (feats.std(dim=1, keepdim=True) + 1e-5)


def random_chunks(batch, min_frames=200, max_frames=400):
    frames = int(torch.randint(min_frames, max_frames + 1, (1,)))
    feats = torch.randn(batch, frames, FEAT_DIM)
    return cmvn(feats), torch.randint(0, N_SPEAKERS, (batch,))


def extract_embeddings(model, utterances):
    model.eval()
    out = []
    with torch.no_grad():
        for feats in utterances:
            out.append(model.embed(cmvn(feats.unsqueeze(0))).squeeze(0))
    return torch.stack(out)


def train(model, iters=2000, batch=64):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=iters)
    model.train()
    for it in range(iters):
        feats, spk = random_chunks(batch)
        loss = F.cross_entropy(model(feats), spk)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 200 == 0:
            print(f"iter {it} loss {loss.item():.3f}")


if __name__ == "__main__":
    net = XVector()
    train(net)
    enrol = [torch.randn(int(torch.randint(300, 900, (1,))), FEAT_DIM) for _ in range(4)]
    vecs = F.normalize(extract_embeddings(net, enrol), dim=-1)
    print(vecs @ vecs.T)
