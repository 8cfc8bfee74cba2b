import torch
import torch.nn as nn

from models import build_encoder


def output_size(encoder, n_in):
    probe = torch.zeros(2, n_in)
    return encoder(probe).shape[1]


def build_head(cfg):
    encoder = build_encoder(cfg)
    width = output_size(encoder, cfg["n_in"])
    return nn.Sequential(encoder, nn.Linear(width, cfg["n_out"]))
