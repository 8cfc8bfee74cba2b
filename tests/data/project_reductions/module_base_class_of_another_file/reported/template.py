import torch.nn as nn


class MetaTemplate(nn.Module):
    def __init__(self, n_way):
        super().__init__()
        self.n_way = n_way
