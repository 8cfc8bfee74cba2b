import torch
import torch.nn as nn


class ConvBNAct1d(nn.Sequential):
    def __init__(self, cin, cout, k=3):
        super().__init__(
            nn.Conv1d(cin, cout, k, padding=k // 2, bias=False),
            nn.BatchNorm1d(cout),
            nn.GELU(),
        )


class SeqClassifier(nn.Module):
    """Embedding -> BN over channels -> 1D conv stack -> mean pool -> logits."""

    def __init__(self, vocab_size=8000, emb_dim=96, hidden=128, num_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.emb_norm = nn.BatchNorm1d(emb_dim)
        self.encoder = nn.Sequential(ConvBNAct1d(emb_dim, hidden), ConvBNAct1d(hidden, hidden, k=5))
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, tokens):
        x = self.embed(tokens)  # (N, L, E)
        x = x.permute(0, 2, 1)  # (N, E, L)
        x = self.emb_norm(x)
        x = self.encoder(x)
        return self.classifier(x.mean(dim=-1))


def build(checkpoint=None):
    model = SeqClassifier()
    if checkpoint is not None:
        model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    return model
