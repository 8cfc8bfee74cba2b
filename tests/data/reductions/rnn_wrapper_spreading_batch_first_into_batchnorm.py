from torch import nn
from torch.nn import Sequential


class RNNWrapper(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.net = nn.RNN(*args, **kwargs)

    def forward(self, x):
        x, _ = self.net(x)
        return x


class DeepSpeech2(nn.Module):
    def __init__(self, rnn_hidden=1024, n_class=28, n_rnn=6):
        super().__init__()
        rnn_layers = [RNNWrapper(96, rnn_hidden, bidirectional=True,
                                 batch_first=True, nonlinearity='relu'), nn.LazyBatchNorm1d()]
        self.rnn = Sequential(*rnn_layers)
        self.linear = nn.Linear(rnn_hidden * 2, n_class)

    def forward(self, x):
        x = self.rnn(x)
        return self.linear(x)
