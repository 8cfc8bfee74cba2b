import os

import pytorch_lightning as pl
import torch
import torch.nn as nn


class Localiser(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, 8, 3, bias=False)
        self.bn = nn.BatchNorm3d(8)

    @staticmethod
    def load(run_name, checkpoint):
        return Localiser.load_from_checkpoint(os.path.join("checkpoints", run_name, checkpoint))

    def forward(self, x):
        return self.bn(self.conv(x))


def get_patient_box(volume):
    localiser = Localiser.load("baseline", "last.ckpt")
    localiser.eval()
    pred = localiser(torch.Tensor(volume).unsqueeze(0).unsqueeze(1))
    return pred.squeeze(0)
