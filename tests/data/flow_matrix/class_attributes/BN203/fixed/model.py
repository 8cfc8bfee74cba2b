import torch.nn as nn


class TokenTagger(nn.Module):
    vocab_size = 20000
    embed_dim = 128

    def __init__(self, num_tags=9):
        super().__init__()
        self.embed = nn.Embedding(self.vocab_size, self.embed_dim)
        self.norm = nn.BatchNorm1d(self.embed_dim)
        self.out = nn.Linear(self.embed_dim, num_tags)

    def forward(self, tokens):
        x = self.embed(tokens)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        return self.out(x)
