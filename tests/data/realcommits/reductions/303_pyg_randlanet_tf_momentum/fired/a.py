from torch import nn

bn099_kwargs = {"momentum": 0.99, "eps": 1e-6}


class MLP(nn.Module):
    def __init__(self, channels, norm_kwargs=None):
        super().__init__()
        self.lin = nn.Linear(channels[0], channels[1])
        self.norm = nn.BatchNorm1d(channels[1], momentum=norm_kwargs["momentum"])


mlp = MLP([10, 16], norm_kwargs=bn099_kwargs)
