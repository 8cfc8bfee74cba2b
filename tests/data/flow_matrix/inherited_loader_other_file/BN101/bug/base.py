import torch
import torch.nn as nn


class Model(nn.Module):
    def load_pretrained(self, ckpt_path):
        self.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
