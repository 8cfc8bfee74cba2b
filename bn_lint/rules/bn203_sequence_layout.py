"""BN203 sequence-layout."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.shapes.checks import verdicts


# code BN203 must flag, with the line of each finding
INVALID = (
    Invalid(  # a graph layer with its own weight: bmm(adjacency, x @ W) is (batch, nodes, units)
        """
        import torch
        import torch.nn as nn

        class GraphConv(nn.Module):
            def __init__(self, input_dim, units):
                super().__init__()
                self.W = nn.Parameter(torch.empty(input_dim, units))
                self.b = nn.Parameter(torch.zeros(units))

            def forward(self, x, adj):
                return torch.bmm(adj, torch.matmul(x, self.W) + self.b)

        class DrugEncoder(nn.Module):
            def __init__(self, in_dim=75, hidden=256, n_atoms=100):
                super().__init__()
                self.gcn = GraphConv(in_dim, hidden)
                self.bn = nn.BatchNorm1d(n_atoms)

            def forward(self, x, adj):
                return self.bn(torch.relu(self.gcn(x, adj)))
        """,
        line=20,
    ),
    Invalid(
        """
        import torch.nn as nn

        class Encoder(nn.Module):
            def __init__(self, vocab, dim=128):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim)
                self.bn = nn.BatchNorm1d(dim)

            def forward(self, tokens):
                return self.bn(self.embed(tokens))
        """,
        line=10,
    ),
    Invalid(
        """
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(64, 128, batch_first=True)
                self.bn = nn.BatchNorm1d(128)

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.bn(out)
        """,
        line=11,
    ),
    Invalid(  # a stack of batch_first encoder layers keeps their (N, L, E) layout
        """
        import torch.nn as nn

        class Forecaster(nn.Module):
            def __init__(self, d_model=64):
                super().__init__()
                layer = nn.TransformerEncoderLayer(d_model, 4, batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, num_layers=2)
                self.norm = nn.BatchNorm1d(d_model)

            def forward(self, x):
                return self.norm(self.encoder(x))
        """,
        line=11,
    ),
    Invalid(  # pretrained word vectors: an Embedding all the same, whatever their width
        """
        import torch.nn as nn

        class Reviews(nn.Module):
            def __init__(self, vectors):
                super().__init__()
                self.embedding = nn.Embedding.from_pretrained(vectors, freeze=True)
                self.norm = nn.BatchNorm1d(vectors.size(1))

            def forward(self, tokens):
                return self.norm(self.embedding(tokens))
        """,
        line=10,
    ),
    Invalid(  # the width a constructor default gives, the view's last axis: (N, 128, 9) into BatchNorm1d(9)
        """
        import torch.nn as nn

        WINDOW, N_CHANNELS = 128, 9

        class HAR(nn.Module):
            def __init__(self, n_channels=N_CHANNELS):
                super().__init__()
                self.input_bn = nn.BatchNorm1d(n_channels)

            def forward(self, x):
                x = x.view(-1, WINDOW, N_CHANNELS)
                return self.input_bn(x)
        """,
        line=12,
    ),
    Invalid(  # an MLP block (Linear + BatchNorm1d) run on a (batch, seq, emb) tensor
        """
        import torch
        import torch.nn as nn

        class MLPBlock(nn.Module):
            def __init__(self, input_dim, hidden_units=(), batch_norm=False):
                super().__init__()
                layers = []
                units = [input_dim] + list(hidden_units)
                for i in range(len(units) - 1):
                    layers.append(nn.Linear(units[i], units[i + 1], bias=False))
                    if batch_norm:
                        layers.append(nn.BatchNorm1d(units[i + 1]))
                    layers.append(nn.ReLU())
                self.mlp = nn.Sequential(*layers)

            def forward(self, x):
                return self.mlp(x)

        seq_emb = torch.randn(16, 128, 64)
        block = MLPBlock(64, hidden_units=[256, 256], batch_norm=True)
        out = block(seq_emb)
        """,
        line=12,
    ),
    Invalid(  # torchsummary runs the model on (2, 1, 300): Linear keeps the middle axis
        """
        import torch.nn as nn
        from torchsummary import summary

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(300, 100, bias=False)
                self.bn = nn.BatchNorm1d(100)

            def forward(self, x):
                return self.bn(self.fc(x))

        summary(Net().to("cpu"), (1, 300))
        """,
        line=8,
    ),
    Invalid(  # the input is (batch, steps, features): the batch_first LSTM after the norm says so (its
        # width is not the LSTM's input_size, so not one unbatched (L, E) sequence either)
        """
        import torch
        import torch.nn as nn

        class HAR(nn.Module):
            def __init__(self, n_steps=32, n_features=36):
                super().__init__()
                self.bn = nn.BatchNorm1d(n_steps)
                self.lstm = nn.LSTM(n_features, 64, batch_first=True)

            def forward(self, x):
                out, _ = self.lstm(self.bn(x))
                return out[:, -1]

        model = HAR()
        logits = model(torch.randn(64, 32, 36))
        """,
        line=11,
    ),
)

# code BN203 must not flag
VALID = (
    Valid(  # a 2-D graph layer: (nodes, units) into BatchNorm1d(units); a norm of the LSTM's own width on an
        # input of unknown rank (maybe one unbatched (L, E) sequence)
        """
        import torch
        import torch.nn as nn

        class GCN(nn.Module):
            def __init__(self, in_dim, units):
                super().__init__()
                self.weight = nn.Parameter(torch.FloatTensor(in_dim, units))
                self.bn = nn.BatchNorm1d(units)

            def forward(self, x, adj):
                return self.bn(torch.spmm(adj, torch.mm(x, self.weight)))

        class Seq(nn.Module):
            def __init__(self, dim=64):
                super().__init__()
                self.bn = nn.BatchNorm1d(dim)
                self.lstm = nn.LSTM(dim, 32, batch_first=True)

            def forward(self, x):
                return self.lstm(self.bn(x))[0]
        """
    ),
    Valid(  # a Conv1d's (N, C, L) features into BatchNorm1d(C), also when run on a 3-D input
        """
        import torch
        import torch.nn as nn

        class TCN(nn.Module):
            def __init__(self, channels=(12, 64, 64)):
                super().__init__()
                layers = []
                for i in range(len(channels) - 1):
                    layers += [nn.Conv1d(channels[i], channels[i + 1], 3, padding=1, bias=False),
                               nn.BatchNorm1d(channels[i + 1]), nn.ReLU()]
                self.net = nn.Sequential(*layers)
                self.lstm = nn.LSTM(64, 32, batch_first=True)

            def forward(self, x):
                out, _ = self.lstm(self.net(x).transpose(1, 2))
                return out

        model = TCN()
        y = model(torch.randn(8, 12, 100))
        """
    ),
    Valid(  # tokens transposed to (N, E, L) for the norm, back for the LSTM; an MLP on (N, E)
        """
        import torch
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self, dim=64):
                super().__init__()
                self.proj = nn.Linear(dim, dim, bias=False)
                self.bn = nn.BatchNorm1d(dim)
                self.lstm = nn.LSTM(dim, dim, batch_first=True)
                self.head = nn.Sequential(nn.Linear(dim, 32, bias=False), nn.BatchNorm1d(32))

            def forward(self, x):
                x = self.bn(self.proj(x).transpose(1, 2)).transpose(1, 2)
                out, _ = self.lstm(x)
                return self.head(out[:, -1])

        model = Tagger()
        y = model(torch.randn(8, 20, 64))
        """
    ),
    Valid(  # one station per sample: a table of counted things looked up with a singular id is (N, E)
        """
        import torch.nn as nn

        class Forecaster(nn.Module):
            def __init__(self, n_stations=40, d_model=64):
                super().__init__()
                self.station_emb = nn.Embedding(n_stations, d_model)
                self.emb_norm = nn.BatchNorm1d(d_model)

            def forward(self, x, station):
                e = self.emb_norm(self.station_emb(station))
                return x + e.unsqueeze(1)
        """
    ),
    Valid(  # a recommender: user and item embeddings side by side on dim 1 are per-sample ids, (N, E) each
        """
        import torch
        import torch.nn as nn

        class NeuMF(nn.Module):
            def __init__(self, n_users, n_items, dims=(128, 64)):
                super().__init__()
                self.user = nn.Embedding(n_users, dims[0] // 2)
                self.item = nn.Embedding(n_items, dims[0] // 2)
                self.tower = nn.Sequential(nn.Linear(dims[0], dims[1], bias=False), nn.BatchNorm1d(dims[1]))

            def forward(self, users, items):
                return self.tower(torch.cat([self.user(users), self.item(items)], 1))
        """
    ),
    Valid(  # one id per sample (`device_id`, `user_idx`): (N,) gives (N, E)
        """
        import torch.nn as nn

        class Context(nn.Module):
            def __init__(self, n_devices, dim=16):
                super().__init__()
                self.embed = nn.Embedding(n_devices, dim)
                self.bn = nn.BatchNorm1d(dim)

            def forward(self, x, device_id):
                return x, self.bn(self.embed(device_id))
        """
    ),
    Valid(  # a conditional GAN's label embedding: (N,) labels give (N, E), not a sequence
        """
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self, n_classes=10, z_dim=100):
                super().__init__()
                self.embed = nn.Embedding(n_classes, z_dim)
                self.fc = nn.Sequential(nn.Linear(z_dim, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU())

            def forward(self, z, y):
                return self.fc(z * self.embed(y))
        """
    ),
    Valid(
        """
        import torch.nn as nn

        class Encoder(nn.Module):
            def __init__(self, vocab, dim=128):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim)
                self.bn = nn.BatchNorm1d(dim)

            def forward(self, tokens):
                x = self.embed(tokens).permute(0, 2, 1)
                return self.bn(x)
        """
    ),
    Valid(
        """
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(64, 128, batch_first=True)
                self.norm = nn.LayerNorm(128)

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.norm(out)
        """
    ),
)


class SequenceLayout(Rule):
    code = "BN203"
    name = "sequence-layout"
    severity = Severity.ERROR
    summary = "`BatchNorm1d(E)` applied to an (N, L, E) tensor: it normalises over L, not E."
    what = """
        Flags `BatchNorm1d(E)` fed a 3-D tensor whose last axis holds the E features: the output
        of `nn.Embedding`, of a `batch_first` RNN or Transformer layer, of a `Linear` applied to
        such a tensor, or of `x.view(n, length, E)` — with no transpose/permute in between. Shapes
        also come from where a module is used: `model(torch.randn(B, L, E))` at module level or
        in a function, `torchsummary.summary(model, (1, 300))`, another module's `forward`; and
        from the consumer: a 3-D input normalised by `BatchNorm1d` and then read by a
        `batch_first` RNN/Transformer is (N, L, E). The finding is at the call that applies the
        layer (`self.bn(x)` in `forward`), or at the layer (in an `nn.Sequential`, or when the
        layout comes from the module's caller).
    """
    why = """
        `BatchNorm1d` normalises over dim 1. On (N, L, E) that is the sequence axis: it raises
        when L differs from E and silently normalises the wrong axis when they happen to match.
    """
    example = """
        x = self.embed(tokens)  # (N, L, E)
        x = self.bn(x)          # BatchNorm1d(E): normalises over L
    """
    fix_docs = """
        `x.transpose(1, 2)` before and after the BatchNorm, reshape to (N*L, E), or use `LayerNorm(E)`.
    """
    use_instead = """
        x = self.embed(tokens)                            # (N, L, E)
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)    # BatchNorm1d(E) over (N, E, L)
    """
    references = (
        ('`torch.nn.BatchNorm1d`: input (N, C) or (N, C, L) (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html'),
        ('`torch.nn.LayerNorm` (PyTorch docs)', 'https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html'),
    )
    triggers = ("BatchNorm",)
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        for verdict in model.analysis(verdicts):
            if verdict.code == self.code:
                yield Report(verdict.node, verdict.message)
