import torch.nn as nn
from backbone import Backbone
from probe import LinearProbe


def main(loader):
    encoder = Backbone()
    encoder.freeze_weights()
    probe = LinearProbe(encoder, nn.Linear(1000, 10))
    probe.run(loader, 10)
