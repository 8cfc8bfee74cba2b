"""Export the news-topic TextCNN with torch.export for the ExecuTorch / AOTInductor pipeline."""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.export import Dim

log = logging.getLogger(__name__)

KERNEL_SIZES = (3, 4, 5)
NUM_FILTERS = 100


class TextCNN(nn.Module):
    def __init__(self, vocab_size=30000, embed_dim=128, num_classes=4, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(embed_dim)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, NUM_FILTERS, k, bias=False) for k in KERNEL_SIZES])
        self.conv_bns = nn.ModuleList([nn.BatchNorm1d(NUM_FILTERS) for _ in KERNEL_SIZES])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(NUM_FILTERS * len(KERNEL_SIZES), num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens)
        x = self.emb_bn(x)  # expect: BN203
        x = x.transpose(1, 2)
        feats = [F.relu(bn(conv(x))).amax(dim=2) for conv, bn in zip(self.convs, self.conv_bns)]
        return self.fc(self.dropout(torch.cat(feats, dim=1)))


def load_model(ckpt_path, device="cpu"):
    ckpt = torch.load(ckpt_path, map_location=device)
    cfg = ckpt.get("config", {})
    model = TextCNN(
        vocab_size=cfg.get("vocab_size", 30000),
        embed_dim=cfg.get("embed_dim", 128),
        num_classes=cfg.get("num_classes", 4),
    )
    model.load_state_dict(ckpt["model_state"])
    log.info("restored TextCNN from %s (step %s)", ckpt_path, ckpt.get("step"))
    return model.to(device)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt")
    parser.add_argument("--out", default="textcnn.pt2")
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--max-batch", type=int, default=64)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    model = load_model(args.ckpt)
    example = (torch.randint(1, 30000, (2, args.seq_len)),)
    batch = Dim("batch", min=1, max=args.max_batch)

    exported = torch.export.export(model, example, dynamic_shapes={"tokens": {0: batch}})  # expect: BN104
    log.info("graph signature:\n%s", exported.graph_signature)
    torch.export.save(exported, args.out)
    log.info("saved exported program to %s", args.out)


if __name__ == "__main__":
    main()
