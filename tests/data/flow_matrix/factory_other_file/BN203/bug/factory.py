import torch.nn as nn


def text_encoder(vocab_size=30000, dim=256):
    return nn.Sequential(
        nn.Embedding(vocab_size, dim),
        nn.BatchNorm1d(dim),
        nn.Dropout(0.1),
    )
