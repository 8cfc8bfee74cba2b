import torch.nn as nn


class Crepe(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(8)


def viterbi(logits):
    return logits.argmax(dim=1)


def predict(logits, decoder=viterbi):
    return decoder(logits)
