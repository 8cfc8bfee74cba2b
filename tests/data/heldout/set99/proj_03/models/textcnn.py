"""Kim (2014) CNN for sentence classification, with batch-normalised
embeddings and convolution outputs (our "BN-TextCNN" baseline, Table 2)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextCNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=300, kernel_sizes=(3, 4, 5),
                 num_filters=100, dropout=0.5, padding_idx=0, pretrained_embeddings=None,
                 freeze_embeddings=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        if pretrained_embeddings is not None:
            self.embedding.weight.data.copy_(pretrained_embeddings)
            self.embedding.weight.requires_grad = not freeze_embeddings
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        self.convs = nn.ModuleList([
            nn.Sequential(
                nn.Conv1d(embed_dim, num_filters, kernel_size=k, bias=False),
                nn.BatchNorm1d(num_filters),
                nn.ReLU(inplace=True),
            ) for k in kernel_sizes
        ])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens)  # (N, L, E)
        x = self.embed_bn(x)  # expect: BN203
        x = x.transpose(1, 2)  # (N, E, L) for Conv1d
        pooled = [F.adaptive_max_pool1d(conv(x), 1).squeeze(-1) for conv in self.convs]
        x = torch.cat(pooled, dim=1)
        return self.fc(self.dropout(x))
