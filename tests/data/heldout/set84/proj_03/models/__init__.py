import torch.nn as nn

import configs as C
from .backbone import TokenEncoder
from .heads import GRUPoolHead


class IntentClassifier(nn.Module):
    def __init__(self, vocab_size=C.VOCAB_SIZE, num_classes=C.NUM_INTENTS):
        super().__init__()
        self.encoder = TokenEncoder(vocab_size=vocab_size)
        self.head = GRUPoolHead(self.encoder.out_dim, C.GRU_HIDDEN, num_classes)

    def forward(self, tokens, lengths):
        feats = self.encoder(tokens)          # (N, C, L)
        return self.head(feats, lengths)


__all__ = ["IntentClassifier", "TokenEncoder", "GRUPoolHead"]
