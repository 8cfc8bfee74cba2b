"""TextCNN news-topic classifier (AG News) with PyTorch Lightning.

    python textcnn_ag.py fit --max-epochs 10
    python textcnn_ag.py predict --ckpt lightning_logs/version_0/checkpoints/last.ckpt
"""
import argparse
import collections
import re

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from datasets import load_dataset
from torch.utils.data import DataLoader

MAX_LEN = 256
PAD, UNK = 0, 1
TOKEN_RE = re.compile(r"[a-z0-9']+")


def tokenize(text):
    return TOKEN_RE.findall(text.lower())


def build_vocab(texts, min_freq=3, max_size=50000):
    counter = collections.Counter(tok for t in texts for tok in tokenize(t))
    itos = ["<pad>", "<unk>"] + [w for w, c in counter.most_common(max_size) if c >= min_freq]
    return {w: i for i, w in enumerate(itos)}


def encode_batch(batch, vocab):
    ids = torch.full((len(batch), MAX_LEN), PAD, dtype=torch.long)
    for i, ex in enumerate(batch):
        toks = [vocab.get(t, UNK) for t in tokenize(ex["text"])][:MAX_LEN]
        ids[i, :len(toks)] = torch.tensor(toks, dtype=torch.long)
    labels = torch.tensor([ex["label"] for ex in batch], dtype=torch.long)
    return ids, labels


class TextCNN(pl.LightningModule):
    def __init__(self, vocab_size, embed_dim=300, num_filters=128, kernel_sizes=(3, 4, 5),
                 num_classes=4, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.emb_norm = nn.BatchNorm1d(embed_dim)
        self.convs = nn.ModuleList([
            nn.Sequential(
                nn.Conv1d(embed_dim, num_filters, k, padding=k // 2, bias=False),
                nn.BatchNorm1d(num_filters),
                nn.ReLU(inplace=True),
            )
            for k in kernel_sizes
        ])
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(num_filters * len(kernel_sizes), num_classes))

    def forward(self, tokens):
        x = self.embedding(tokens)      # (B, L, E)
        x = x.transpose(1, 2)           # (B, E, L): channels first for BatchNorm1d / Conv1d
        x = self.emb_norm(x)
        pooled = [conv(x).amax(dim=-1) for conv in self.convs]
        return self.classifier(torch.cat(pooled, dim=1))

    def _shared_step(self, batch, stage):
        tokens, labels = batch
        logits = self(tokens)
        loss = F.cross_entropy(logits, labels)
        acc = (logits.argmax(dim=-1) == labels).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=True)
        self.log(f"{stage}_acc", acc, prog_bar=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._shared_step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._shared_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._shared_step(batch, "test")

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        return [opt], [sched]


def make_loaders(batch_size):
    ds = load_dataset("ag_news")
    vocab = build_vocab(ds["train"]["text"])
    collate = lambda b: encode_batch(b, vocab)  # noqa: E731
    train = DataLoader(ds["train"], batch_size=batch_size, shuffle=True, collate_fn=collate, num_workers=4)
    test = DataLoader(ds["test"], batch_size=512, collate_fn=collate, num_workers=4)
    return vocab, train, test


def predict(ckpt_path, sentences, vocab):
    model = TextCNN.load_from_checkpoint(ckpt_path)
    model.eval()
    batch = [{"text": s, "label": 0} for s in sentences]
    tokens, _ = encode_batch(batch, vocab)
    with torch.inference_mode():
        probs = F.softmax(model(tokens.to(model.device)), dim=-1)
    classes = ["World", "Sports", "Business", "Sci/Tech"]
    return [(classes[i], p[i].item()) for p, i in zip(probs, probs.argmax(dim=-1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["fit", "predict"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--ckpt", default=None)
    args = parser.parse_args()
    pl.seed_everything(13)
    vocab, train_loader, test_loader = make_loaders(args.batch_size)
    if args.command == "fit":
        model = TextCNN(vocab_size=len(vocab))
        trainer = pl.Trainer(max_epochs=args.max_epochs, accelerator="auto", precision="16-mixed",
                             gradient_clip_val=1.0)
        trainer.fit(model, train_loader, test_loader)
        trainer.test(model, test_loader)
    else:
        for label, p in predict(args.ckpt, ["Stocks rallied after the rate decision.",
                                            "The striker scored twice in the final."], vocab):
            print(f"{label:10s} {p:.3f}")


if __name__ == "__main__":
    main()
