import torch.nn as nn

import configs as C
from .backbone import ConvTransformerEncoder
from .heads import PooledClassifier, TokenTagger


class ReviewModel(nn.Module):
    def __init__(self, num_classes=C.NUM_CLASSES, num_tags=C.NUM_TAGS):
        super().__init__()
        self.encoder = ConvTransformerEncoder()
        self.cls_head = PooledClassifier(C.HIDDEN, num_classes)
        self.tag_head = TokenTagger(C.HIDDEN, num_tags)

    def forward(self, tokens, with_tags=False):
        mask = tokens != C.PAD_ID
        h = self.encoder(tokens, mask)                 # (N, L, H)
        logits = self.cls_head(h, mask)
        if with_tags:
            return logits, self.tag_head(h)
        return logits
