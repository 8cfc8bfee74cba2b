import torch.nn as nn

from factory import text_encoder


class TextClassifier(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.encoder = text_encoder(30000, 256)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, tokens):
        return self.fc(self.encoder(tokens).mean(1))
