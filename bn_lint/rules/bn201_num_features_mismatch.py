"""BN201 num-features-mismatch."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.shapes.checks import verdicts


# deepchem's GraphConv port: the last of a ModuleList filled by a comprehension then appended to, an activation
# kept as a function, the width given two calls up through a wrapper's **kwargs ({built}: the calls)
GRAPH_CONV = """
import torch.nn as nn
import torch.nn.functional as F

class GraphConvNet(nn.Module):
    def __init__(self, conv_layers=(64, 64), dense_layer_size=128):
        super().__init__()
        self.batch_norms = nn.ModuleList([nn.BatchNorm1d(64) for _ in conv_layers])
        self.batch_norms.append(nn.BatchNorm1d(128))
        self.dense = nn.Linear(64, dense_layer_size)
        self.dense_act = F.relu

    def forward(self, x):
        return self.batch_norms[-1](self.dense_act(self.dense(x)))

def build(n_tasks, **kwargs):
    return GraphConvNet(**kwargs)

{built}
"""

# code BN201 must flag, with the line of each finding
INVALID = (
    Invalid(  # the last of a ModuleList filled by a comprehension, then appended to; an activation kept as a
        # function; the width given two calls up, through a wrapper's **kwargs (deepchem's GraphConv port)
        GRAPH_CONV.format(built="model = build(3, dense_layer_size=3)"),
        line=8,
    ),
    Invalid(  # another entry of the widths list than the one the Linear gives
        """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, dims=(784, 256, 128)):
                super().__init__()
                self.fc1 = nn.Linear(dims[0], dims[1], bias=False)
                self.bn1 = nn.BatchNorm1d(dims[2])

            def forward(self, x):
                return self.bn1(self.fc1(x))
        """,
        line=7,
    ),
    Invalid(  # a vendored synchronized BatchNorm is a BatchNorm all the same
        """
        import torch.nn as nn
        from sync_batchnorm import SynchronizedBatchNorm2d

        class OffsetHead(nn.Module):
            def __init__(self, num_points=18):
                super().__init__()
                self.net = nn.Sequential(nn.Conv2d(num_points * 2, num_points, 3, padding=1, bias=False),
                                         SynchronizedBatchNorm2d(num_points * 2))
        """,
        line=8,
    ),
    Invalid(
        """
        import torch.nn as nn
        net = nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.BatchNorm2d(32))
        """,
        line=2,
    ),
    Invalid(
        """
        import torch.nn as nn

        class Bottleneck(nn.Module):
            expansion = 4

            def __init__(self, inplanes, planes, norm_layer=None):
                super().__init__()
                if norm_layer is None:
                    norm_layer = nn.BatchNorm2d
                self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
                self.bn3 = norm_layer(planes)

            def forward(self, x):
                return self.bn3(self.conv3(x))
        """,
        line=11,
    ),
    Invalid(
        """
        import torch.nn as nn

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cin))

        stem = block(3, 32)
        """,
        line=4,
    ),
    Invalid(
        """
        import torch
        from torch import nn

        class Dense(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(8, 16, 1, bias=False)
                self.b = nn.Conv2d(8, 16, 1, bias=False)
                self.bn = nn.BatchNorm2d(16)

            def forward(self, x):
                return self.bn(torch.cat([self.a(x), self.b(x)], 1))
        """,
        line=9,
    ),
    Invalid(  # called nowhere in this file: its defaults are what it builds
        """
        import torch.nn as nn

        def projection_mlp(in_dim=2048, hidden_dim=4096, out_dim=256):
            return nn.Sequential(
                nn.Linear(in_dim, hidden_dim, bias=False),
                nn.BatchNorm1d(in_dim),
                nn.ReLU(inplace=True),
                nn.Linear(hidden_dim, out_dim),
            )
        """,
        line=6,
    ),
    Invalid(  # wired in a function nested in forward, run directly or through activation checkpointing
        """
        import torch.nn as nn
        import torch.utils.checkpoint as cp

        class Bottleneck(nn.Module):
            expansion = 4

            def __init__(self, planes, with_cp=False):
                super().__init__()
                self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
                self.bn3 = nn.BatchNorm2d(planes)
                self.with_cp = with_cp

            def forward(self, x):
                def _inner_forward(x):
                    return self.bn3(self.conv3(x))

                if self.with_cp and x.requires_grad:
                    return cp.checkpoint(_inner_forward, x)
                return _inner_forward(x)
        """,
        line=10,
    ),
    Invalid(  # a norm layer defaulting to None, then `norm_layer or nn.BatchNorm2d`, kept on `self`
        """
        import torch.nn as nn

        class Stem(nn.Module):
            def __init__(self, width=32, norm_layer=None):
                super().__init__()
                self.norm_layer = norm_layer or nn.BatchNorm2d
                self.conv = nn.Conv2d(3, width, 3, bias=False)
                self.bn = self.norm_layer(2 * width)

            def forward(self, x):
                return self.bn(self.conv(x))
        """,
        line=8,
    ),
    Invalid(  # MoA-style layers wrapped in `weight_norm`: the same Linear, its weight re-parametrized
        """
        import torch.nn as nn


        class Model(nn.Module):
            def __init__(self, num_features, num_targets, hidden_size):
                super().__init__()
                self.batch_norm2 = nn.BatchNorm1d(hidden_size)
                self.dense2 = nn.utils.weight_norm(nn.Linear(hidden_size, hidden_size // 2))
                self.batch_norm3 = nn.BatchNorm1d(hidden_size)
                self.dense3 = nn.utils.weight_norm(nn.Linear(hidden_size // 2, num_targets))

            def forward(self, x):
                x = nn.functional.relu(self.dense2(self.batch_norm2(x)))
                return self.dense3(self.batch_norm3(x))
        """,
        line=9,
    ),
    Invalid(  # a `match` statement picking the architecture
        """
        import torch.nn as nn

        WIDTH: int = 128


        def build(size: str) -> nn.Module:
            match size:
                case "small":
                    body = nn.Sequential(nn.Conv2d(1, 32, 3, bias=False), nn.BatchNorm2d(32), nn.ReLU())
                case "large":
                    body = nn.Sequential(nn.Conv2d(1, WIDTH, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU())
                case _:
                    raise ValueError(size)
            return body
        """,
        line=11,
    ),
    Invalid(  # sized by the Linear's input width: right only while the defaults (or a call) keep them equal
        """
        import torch.nn as nn

        def projector(in_dim=256, hidden_dim=256):
            return nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(in_dim))
        """,
        line=4,
    ),
    Invalid(  # the same slip in an MLP class (SimSiam's projection head): Linear(hidden_dim, out_dim), BatchNorm1d(hidden_dim)
        """
        import torch.nn as nn

        class ProjectionMLP(nn.Module):
            def __init__(self, in_dim, hidden_dim=2048, out_dim=2048):
                super().__init__()
                self.layer1 = nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim))
                self.layer2 = nn.Sequential(nn.Linear(hidden_dim, out_dim, bias=False), nn.BatchNorm1d(hidden_dim))

            def forward(self, x):
                return self.layer2(self.layer1(x))
        """,
        line=7,
    ),
    Invalid(  # sized by the input width where the Linear's output is a number (alaska2: timm encoders' features)
        """
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self, encoder):
                super().__init__()
                self.decoder = nn.Sequential(nn.Linear(encoder.num_features, 512, bias=False), nn.BatchNorm1d(encoder.num_features))
        """,
        line=6,
    ),
    Invalid(  # a parameter's default written out as the width (lightly's SMoG head): right only with that default
        """
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self, in_dim=2048, hidden_dim=2048):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(2048), nn.ReLU())

        head = Head(512)
        """,
        line=6,
    ),
    Invalid(  # a widths list indexed: the graph layer gives layer_config[2], the norm takes layer_config[1]
        """
        import torch.nn as nn
        from torch_geometric.nn import GCNConv

        class Encoder(nn.Module):
            def __init__(self, layer_config):
                super().__init__()
                self.conv1 = GCNConv(layer_config[0], layer_config[1])
                self.bn1 = nn.BatchNorm1d(layer_config[1])
                self.conv2 = GCNConv(layer_config[1], layer_config[2])
                self.bn2 = nn.BatchNorm1d(layer_config[1])

            def forward(self, x, edge_index):
                x = self.bn1(self.conv1(x, edge_index))
                return self.bn2(self.conv2(x, edge_index))

        encoder = Encoder(layer_config=[1433, 512, 256])
        """,
        line=10,
    ),
    Invalid(  # two ModuleLists filled in one loop and zipped: every conv doubles the width its BatchNorm expects
        """
        import torch.nn as nn

        class Blocks(nn.Module):
            def __init__(self, n, c):
                super().__init__()
                self.convs = nn.ModuleList()
                self.bns = nn.ModuleList()
                for _ in range(n):
                    self.convs.append(nn.Conv2d(c, 2 * c, 3, padding=1, bias=False))
                    self.bns.append(nn.BatchNorm2d(c))

            def forward(self, x):
                for conv, bn in zip(self.convs, self.bns):
                    x = bn(conv(x))
                return x
        """,
        line=10,
    ),
    Invalid(  # the classes picked by name for the dimensionality (`getattr(nn, f"BatchNorm{dims}d")`, as in
              # dimension-generic blocks): the norm is sized by the block's input, not the conv's output
        """
        import torch.nn as nn

        def conv_block(cin, cout, dims=2):
            conv = getattr(nn, f"Conv{dims}d")(cin, cout, 3, padding=1, bias=False)
            norm = getattr(nn, f"BatchNorm{dims}d")(cin)
            return nn.Sequential(conv, norm, nn.ReLU())

        encoder = nn.Sequential(conv_block(1, 32, dims=3), conv_block(32, 64, dims=3))
        """,
        line=5,
    ),
)

# code BN201 must not flag
VALID = (
    Valid(  # the same network fixed (its last BatchNorm sized by the parameter), with keywords not known here
        GRAPH_CONV.replace("nn.BatchNorm1d(128)", "nn.BatchNorm1d(dense_layer_size)").format(
            built="model = build(3, dense_layer_size=128)\nother = build(3, **load_config())")
    ),
    Valid(  # the fixed SMoG head: the width is the parameter; a number written out where the Linear's is one too
        """
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self, in_dim=2048, hidden_dim=2048):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim), nn.ReLU())
                self.tail = nn.Sequential(nn.Linear(hidden_dim, 128, bias=False), nn.BatchNorm1d(128))
                self.side = nn.Sequential(nn.Linear(in_dim, 256, bias=False), nn.BatchNorm1d(256))
        """
    ),
    Valid(  # a number written out that is not the default of the parameter the Linear reads
        """
        import torch.nn as nn

        def head(in_dim, hidden_dim=1024):
            return nn.Sequential(nn.Linear(in_dim, 2048, bias=False), nn.BatchNorm1d(2048), nn.Linear(2048, hidden_dim))
        """
    ),
    Valid(  # the same dimension-generic block, its norm sized by the conv's output
        """
        import torch.nn as nn

        def conv_block(cin, cout, dims=2):
            conv = getattr(nn, f"Conv{dims}d")(cin, cout, 3, padding=1, bias=False)
            norm = getattr(nn, f"BatchNorm{dims}d")(cout)
            return nn.Sequential(conv, norm, nn.ReLU())

        encoder = nn.Sequential(conv_block(1, 32, dims=3), conv_block(32, 64, dims=3))
        """
    ),
    Valid(  # the same entry of the widths list, in a loop and by literal index
        """
        import torch.nn as nn

        def mlp(dims):
            layers = [nn.Linear(dims[0], dims[1], bias=False), nn.BatchNorm1d(dims[1])]
            for i in range(1, len(dims) - 1):
                layers += [nn.Linear(dims[i], dims[i + 1], bias=False), nn.BatchNorm1d(dims[i + 1]), nn.ReLU()]
            return nn.Sequential(*layers)
        """
    ),
    Valid(  # two ModuleLists filled in one loop over known widths: each conv feeds the BatchNorm of its own width
        """
        import torch.nn as nn

        class PointMLP(nn.Module):
            def __init__(self, in_channel, mlp):
                super().__init__()
                self.convs = nn.ModuleList()
                self.bns = nn.ModuleList()
                for out_channel in mlp:
                    self.convs.append(nn.Conv2d(in_channel, out_channel, 1, bias=False))
                    self.bns.append(nn.BatchNorm2d(out_channel))
                    in_channel = out_channel

            def forward(self, x):
                for i, conv in enumerate(self.convs):
                    x = self.bns[i](conv(x)).relu()
                return x

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.mlp = PointMLP(3, [32, 64, 128])

            def forward(self, x):
                return self.mlp(x)
        """
    ),
    Valid(  # the norm sized by the layer's output width, whatever the defaults
        """
        import torch.nn as nn

        def projector(in_dim=256, hidden_dim=256):
            return nn.Sequential(nn.Linear(in_dim, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim))
        """
    ),
    Valid(  # graph layers: (nodes, out_channels), the norm takes out_channels
        """
        import torch.nn as nn
        from torch_geometric.nn import GCNConv, SAGEConv

        class GNN(nn.Module):
            def __init__(self, dims=(1433, 512, 256)):
                super().__init__()
                self.conv1 = GCNConv(dims[0], dims[1])
                self.bn1 = nn.BatchNorm1d(dims[1])
                self.conv2 = SAGEConv(dims[1], dims[2])
                self.bn2 = nn.BatchNorm1d(dims[2])

            def forward(self, x, edge_index):
                x = self.bn1(self.conv1(x, edge_index)).relu()
                return self.bn2(self.conv2(x, edge_index))
        """
    ),
    Valid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.BatchNorm2d(64))\n"),
    Valid(
        """
        import torch.nn as nn

        class Bottleneck(nn.Module):
            expansion = 4

            def __init__(self, inplanes, planes, norm_layer=None):
                super().__init__()
                if norm_layer is None:
                    norm_layer = nn.BatchNorm2d
                self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
                self.bn3 = norm_layer(planes * self.expansion)

            def forward(self, x):
                return self.bn3(self.conv3(x))
        """
    ),
    Valid(
        """
        import torch.nn as nn

        def block(cin, cout, mid=None):
            mid = mid or cout
            return nn.Sequential(nn.Conv2d(cin, mid, 3, bias=False), nn.BatchNorm2d(cout))
        """
    ),
)


class NumFeaturesMismatch(Rule):
    code = "BN201"
    name = "num-features-mismatch"
    severity = Severity.ERROR
    fixable = True
    summary = "A BatchNorm's `num_features` differs from the width of the layer feeding it."
    what = """
        Follows each BatchNorm back to the layer that produces its input: through `nn.Sequential`
        (positional, `OrderedDict`, `*layers` lists built with `append`/`+=`/`extend`, loops over a
        literal config list), `add_module`, attributes built in `__init__` and wired in `forward`
        (`x = self.conv(x)`, `self.bn(self.conv(x))`, `F.relu`, pooling, dropout in between), helper
        functions and the file's own classes called with their arguments, a `norm_layer` parameter
        defaulting to `nn.BatchNorm2d`, `functools.partial`, and `torch.cat` on dim 1. Widths are
        numbers or symbolic expressions (`planes * self.expansion`); it reports only when the two
        are provably different, or differ with the integer defaults of a builder or constructor
        that nothing in its file calls, or when the BatchNorm is sized by its producer's *input*
        width while the output width is another value (`Linear(hidden_dim, out_dim)` then
        `BatchNorm1d(hidden_dim)`: right only while the two happen to be equal), or by a number
        written out that is the default of the parameter giving the producer's width (`Linear(in_dim,
        hidden_dim)` then `BatchNorm1d(2048)` with `hidden_dim=2048`: right only with that default). Graph layers
        (`torch_geometric` / `dgl` `GCNConv(in, out)`) count as producers of width `out`.
    """
    why = """
        BatchNorm keeps one mean and variance per channel. With the wrong `num_features` the
        forward pass raises "running_mean should contain N elements not M" — in a branch or a
        configuration that the tests never build.
    """
    example = """
        self.conv = nn.Conv2d(3, 64, 3)
        self.bn = nn.BatchNorm2d(32)  # BatchNorm2d(32) follows Conv2d(..., out_channels=64)
    """
    fix_docs = """
        Use the producer's width. `--fix` rewrites `num_features` when the producer's width is a
        literal or a name in scope at the BatchNorm.
    """
    use_instead = """
        self.conv = nn.Conv2d(3, 64, 3)
        self.bn = nn.BatchNorm2d(64)  # num_features = the conv's out_channels
    """
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('`torch.nn.Conv2d` (PyTorch docs)', 'https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html'),
    )
    triggers = ("BatchNorm",)
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        for verdict in model.analysis(verdicts):
            if verdict.code == self.code:
                yield Report(verdict.node, verdict.message, fix=verdict.fix)
