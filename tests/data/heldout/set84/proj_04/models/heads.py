"""Pool -> embedding (BN-neck) -> classifier, as used for the retrieval experiments."""
import torch
import torch.nn as nn


class EmbeddingClassifier(nn.Module):
    def __init__(self, in_channels, embed_dim, num_classes, dropout=0.2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embed = nn.Linear(in_channels, embed_dim, bias=False)
        self.neck = nn.BatchNorm1d(embed_dim, 0.1)  # expect: BN206
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(embed_dim, num_classes)
        nn.init.normal_(self.fc.weight, 0, 0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x, return_embedding=False):
        x = torch.flatten(self.pool(x), 1)
        e = self.neck(self.embed(x))
        logits = self.fc(self.drop(e))
        if return_embedding:
            return logits, e
        return logits
