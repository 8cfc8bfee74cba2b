"""Distributed pre-training of a small wav2vec-style model (conv feature encoder +
transformer context network, simplified contrastive objective).

Launch with:
    torchrun --nproc_per_node=8 bug_05.py --manifest data/train.tsv
"""
import argparse
import math
import os

import soundfile as sf
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

CONV_LAYERS = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


class ConvFeatureExtractor(nn.Module):
    def __init__(self, conv_layers, dropout=0.0):
        super().__init__()

        def block(n_in, n_out, k, stride):
            return nn.Sequential(
                nn.Conv1d(n_in, n_out, k, stride=stride, bias=False),
                nn.Dropout(p=dropout),
                nn.BatchNorm2d(n_out),  # expect: BN202
                nn.GELU(),
            )

        in_d = 1
        self.conv_layers = nn.ModuleList()
        for dim, k, stride in conv_layers:
            self.conv_layers.append(block(in_d, dim, k, stride))
            in_d = dim

    def forward(self, wav):
        x = wav.unsqueeze(1)  # (B, 1, T)
        for conv in self.conv_layers:
            x = conv(x)
        return x  # (B, C, T')


class Wav2VecSmall(nn.Module):
    def __init__(self, embed_dim=768, layers=6, heads=12, mask_prob=0.65, mask_len=10):
        super().__init__()
        self.feature_extractor = ConvFeatureExtractor(CONV_LAYERS)
        self.layer_norm = nn.LayerNorm(512)
        self.post_extract_proj = nn.Linear(512, embed_dim)
        self.mask_emb = nn.Parameter(torch.zeros(embed_dim).uniform_())
        enc_layer = nn.TransformerEncoderLayer(embed_dim, heads, 4 * embed_dim, dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, layers)
        self.final_proj = nn.Linear(embed_dim, 256)
        self.target_proj = nn.Linear(embed_dim, 256)
        self.mask_prob, self.mask_len = mask_prob, mask_len

    def compute_mask(self, B, T, device):
        num = max(1, int(self.mask_prob * T / self.mask_len))
        mask = torch.zeros(B, T, dtype=torch.bool, device=device)
        starts = torch.randint(0, max(1, T - self.mask_len), (B, num), device=device)
        for offset in range(self.mask_len):
            mask.scatter_(1, (starts + offset).clamp(max=T - 1), True)
        return mask

    def forward(self, wav):
        feats = self.feature_extractor(wav).transpose(1, 2)  # (B, T', 512)
        feats = self.post_extract_proj(self.layer_norm(feats))
        targets = feats.detach()
        mask = self.compute_mask(feats.size(0), feats.size(1), feats.device)
        x = torch.where(mask.unsqueeze(-1), self.mask_emb.to(feats.dtype), feats)
        x = self.encoder(x)
        logits = torch.einsum("btd,bsd->bts", F.normalize(self.final_proj(x), dim=-1), F.normalize(self.target_proj(targets), dim=-1)) / 0.1
        labels = torch.arange(logits.size(1), device=logits.device).expand(logits.size(0), -1)
        return F.cross_entropy(logits[mask], labels[mask])


class AudioManifest(Dataset):
    def __init__(self, manifest, max_samples=250000):
        with open(manifest) as fh:
            self.root = fh.readline().strip()
            self.files = [line.split("\t")[0] for line in fh if line.strip()]
        self.max_samples = max_samples

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        wav, sr = sf.read(os.path.join(self.root, self.files[idx]), dtype="float32")
        wav = torch.from_numpy(wav)
        if wav.numel() > self.max_samples:
            start = torch.randint(0, wav.numel() - self.max_samples, (1,)).item()
            wav = wav[start:start + self.max_samples]
        else:
            wav = F.pad(wav, (0, self.max_samples - wav.numel()))
        return (wav - wav.mean()) / (wav.std() + 1e-5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--batch-size", type=int, default=16, help="per GPU")
    parser.add_argument("--max-updates", type=int, default=400000)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--warmup", type=int, default=32000)
    parser.add_argument("--save-dir", default="ckpt")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    dataset = AudioManifest(args.manifest)
    sampler = DistributedSampler(dataset, shuffle=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, num_workers=6, pin_memory=True, drop_last=True)

    model = Wav2VecSmall().to(device)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    schedule = lambda step: min(1.0, step / args.warmup) * 0.5 * (1 + math.cos(math.pi * min(step, args.max_updates) / args.max_updates))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

    step, epoch = 0, 0
    model.train()
    while step < args.max_updates:
        sampler.set_epoch(epoch)
        for wav in loader:
            loss = model(wav.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if dist.get_rank() == 0 and step % 1000 == 0:
                print(f"step {step} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")
            if dist.get_rank() == 0 and step % 25000 == 0:
                os.makedirs(args.save_dir, exist_ok=True)
                torch.save(model.module.state_dict(), os.path.join(args.save_dir, f"checkpoint_{step}.pt"))
            if step >= args.max_updates:
                break
        epoch += 1
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
