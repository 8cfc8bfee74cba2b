"""Character-level GPT on tiny-shakespeare (pre-LN transformer, no dropout)."""
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

config = dict(
    data_dir="data/shakespeare_char",
    out_dir="out-shakespeare-char",
    block_size=256,
    batch_size=4,
    grad_accum=16,
    n_layer=6,
    n_head=6,
    n_embd=384,
    lr=1e-3,
    max_iters=5000,
    eval_interval=250,
    eval_iters=100,
    warmup_iters=100,
)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight

    def forward(self, idx, targets=None):
        pos = torch.arange(idx.size(1), device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=0.8, top_k=200):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            logits = logits[:, -1, :] / temperature
            v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float("inf")
            idx = torch.cat([idx, torch.multinomial(F.softmax(logits, dim=-1), 1)], dim=1)
        return idx


def get_batch(split, device):
    data = np.memmap(os.path.join(config["data_dir"], f"{split}.bin"), dtype=np.uint16, mode="r")
    ix = torch.randint(len(data) - config["block_size"], (config["batch_size"],))
    x = torch.stack([torch.from_numpy(data[i:i + config["block_size"]].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + config["block_size"]].astype(np.int64)) for i in ix])
    return x.to(device), y.to(device)


@torch.no_grad()
def estimate_loss(model, device):
    out = {}
    for split in ("train", "val"):
        losses = torch.zeros(config["eval_iters"])
        for k in range(config["eval_iters"]):
            x, y = get_batch(split, device)
            _, loss = model(x, y)
            losses[k] = loss.item()
        out[split] = losses.mean().item()
    return out


def lr_at(it):
    if it < config["warmup_iters"]:
        return config["lr"] * (it + 1) / config["warmup_iters"]
    ratio = (it - config["warmup_iters"]) / (config["max_iters"] - config["warmup_iters"])
    return config["lr"] * 0.1 + 0.5 * config["lr"] * 0.9 * (1.0 + math.cos(math.pi * ratio))


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(1337)
    meta = torch.load(os.path.join(config["data_dir"], "meta.pt"))
    model = GPT(meta["vocab_size"], config["block_size"], config["n_layer"],
                config["n_head"], config["n_embd"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], betas=(0.9, 0.99), weight_decay=0.1)
    os.makedirs(config["out_dir"], exist_ok=True)

    t0 = time.time()
    for it in range(config["max_iters"] + 1):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(it)
        if it % config["eval_interval"] == 0:
            losses = estimate_loss(model, device)
            print(f"iter {it}: train {losses['train']:.4f} val {losses['val']:.4f} ({time.time() - t0:.0f}s)")
            torch.save({"model": model.state_dict(), "iter": it}, os.path.join(config["out_dir"], "ckpt.pt"))
        for _ in range(config["grad_accum"]):
            x, y = get_batch("train", device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                _, loss = model(x, y)
            (loss / config["grad_accum"]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    prompt = torch.zeros((1, 1), dtype=torch.long, device=device)
    sample = model.generate(prompt, max_new_tokens=500)[0].tolist()
    print("".join(meta["itos"][i] for i in sample))


if __name__ == "__main__":
    main()
