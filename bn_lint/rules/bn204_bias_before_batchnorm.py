"""BN204 bias-before-batchnorm."""
from __future__ import annotations

from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.shapes.checks import verdicts


# KAIR's `conv` helper: one layer per letter of `mode` ("CBR": Conv, BatchNorm, ReLU)
_MODE_LETTERS = """
import torch.nn as nn

def conv(in_channels, out_channels{param}, mode="CBR"):
    layers = []
    for t in mode:
        if t == "C":
            layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1{arg}))
        elif t == "B":
            layers.append(nn.BatchNorm2d(out_channels))
        elif t == "R":
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)

class DnCNN(nn.Module):
    def __init__(self, nc=64):
        super().__init__()
        self.head = conv(1, nc{head_bias}, mode="CBR")
        self.{second} = conv({second_args})

    def forward(self, x):
        return self.{second}(self.head(x))
"""
_CALLERS_BIAS = dict(param=", bias=True", arg=", bias=bias", head_bias=", bias=True")  # the bias: the caller's choice

class BiasBeforeBatchNorm(Rule):
    code = "BN204"
    name = "bias-before-batchnorm"
    severity = Severity.WARNING
    fixable = True
    summary = "A Conv/Linear with a bias feeds straight into an affine BatchNorm, which cancels the bias."
    what = """
        Flags a Conv or Linear layer whose `bias` is on (the default, or `bias=True`) when its
        output goes directly — with nothing but no-op steps in between — into a BatchNorm with
        `affine=True` (the default) over the same channels. Reported at the Conv/Linear.
    """
    why = """
        BatchNorm subtracts the per-channel mean, so a per-channel bias added just before it has
        no effect on the output; the BatchNorm's own `beta` plays that role. The bias only costs
        parameters, memory and compute (PyTorch performance tuning guide).
    """
    example = """
        nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64))  # the conv's bias is cancelled
    """
    fix_docs = """
        Pass `bias=False` to the Conv/Linear. `--fix` adds it (or turns a literal `True` into `False`).
    """
    use_instead = """
        nn.Sequential(nn.Conv2d(3, 64, 3, bias=False), nn.BatchNorm2d(64))
    """
    references = (
        ('PyTorch performance tuning guide: disable bias for convolutions directly followed by a batch norm',
         'https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html#disable-bias-for-convolutions-directly-followed-by-a-batch-norm'),
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
    )
    fix_safety = "unsafe"
    fix_safety_docs = """
        Removing the bias removes a parameter: `load_state_dict` of a checkpoint saved before the fix
        fails with `Unexpected key(s) in state_dict: "...bias"`.
    """
    triggers = ("BatchNorm",)
    invalid = (
        Invalid(  # layer classes picked from a table by a dimension not known here (MONAI's factories)
            """
            import torch.nn as nn

            CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
            NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}

            def downsample(in_planes, planes, stride, spatial_dims):
                return nn.Sequential(
                    CONV[spatial_dims](in_planes, planes, kernel_size=1, stride=stride),
                    NORM[spatial_dims](planes),
                )
            """,
            line=8,
        ),
        Invalid(  # the norm is the wrong variant (an attribute name reused), but any BatchNorm over these channels cancels the bias
            """
            import torch.nn as nn

            class Encoder(nn.Module):
                def __init__(self, hidden):
                    super().__init__()
                    self.conv4 = nn.Conv2d(128, 128, 1)
                    self.bn4 = nn.BatchNorm2d(128, affine=False)
                    self.bn4 = nn.BatchNorm1d(hidden)

                def forward(self, x):
                    return self.bn4(self.conv4(x))
            """,
            line=6,
        ),
        Invalid(  # a helper's conv, which every call of the helper feeds to a BatchNorm
            """
            import torch.nn as nn

            def causal_conv(c_in, c_out, k, dilation=1):
                return nn.Conv1d(c_in, c_out, k, dilation=dilation)

            class ConvBN(nn.Module):
                def __init__(self, c_in, c_out, k):
                    super().__init__()
                    self.conv = causal_conv(c_in, c_out, k)
                    self.bn = nn.BatchNorm1d(c_out)

                def forward(self, x):
                    return self.bn(self.conv(x))
            """,
            line=4,
        ),
        Invalid(  # a layer per letter of the helper's `mode`: Conv, BatchNorm, ReLU at every call (KAIR's `conv`)
            _MODE_LETTERS.format(**_CALLERS_BIAS, second="body", second_args='nc, nc, mode="CBR"'),
            line=7,
        ),
        Invalid(  # the helper's bias is its caller's choice: reported for the call that feeds a BatchNorm
            # (`mode="CBR"`, line 17), not for the one that builds none after the conv (`mode="CR"`)
            _MODE_LETTERS.format(**_CALLERS_BIAS, second="body", second_args='nc, nc, mode="CR"'),
            line=7,
        ),
        Invalid(  # KAIR's helpers: `sequential(*args)` flattens what `conv` builds, one layer per letter of `mode`
            """
            import torch.nn as nn

            def sequential(*args):
                modules = []
                for module in args:
                    if isinstance(module, nn.Sequential):
                        modules.extend(module.children())
                    elif isinstance(module, nn.Module):
                        modules.append(module)
                return nn.Sequential(*modules)

            def conv(in_channels=64, out_channels=64, bias=True, mode="CBR"):
                layers = []
                for t in mode:
                    if t == "C":
                        layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias))
                    elif t == "B":
                        layers.append(nn.BatchNorm2d(out_channels, momentum=0.1))
                    elif t == "R":
                        layers.append(nn.ReLU(inplace=True))
                return sequential(*layers)

            class DnCNN(nn.Module):
                def __init__(self, in_nc=1, nc=64, nb=17, act_mode="BR"):
                    super().__init__()
                    head = conv(in_nc, nc, mode="C" + act_mode[-1], bias=True)
                    body = [conv(nc, nc, mode="C" + act_mode, bias=True) for _ in range(nb - 2)]
                    tail = conv(nc, in_nc, mode="C", bias=True)
                    self.model = sequential(head, *body, tail)

                def forward(self, x):
                    return x - self.model(x)
            """,
            line=16,
        ),
        Invalid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64))\n", line=2),
        Invalid(  # two ModuleLists filled in one loop, indexed together (GACNet, speechbrain's SEGAN discriminator)
            """
            import torch.nn as nn
            import torch.nn.functional as F

            class PointMLP(nn.Module):
                def __init__(self, in_channel, mlp):
                    super().__init__()
                    self.convs = nn.ModuleList()
                    self.bns = nn.ModuleList()
                    for out_channel in mlp:
                        self.convs.append(nn.Conv2d(in_channel, out_channel, 1))
                        self.bns.append(nn.BatchNorm2d(out_channel))
                        in_channel = out_channel

                def forward(self, x):
                    for i, conv in enumerate(self.convs):
                        x = F.relu(self.bns[i](conv(x)))
                    return x
            """,
            line=10,
        ),
        Invalid(  # ModuleLists of comprehensions, zipped
            """
            import torch.nn as nn

            class Stack(nn.Module):
                def __init__(self, dims):
                    super().__init__()
                    self.convs = nn.ModuleList([nn.Conv1d(a, b, 3, padding=1) for a, b in zip(dims[:-1], dims[1:])])
                    self.norms = nn.ModuleList([nn.BatchNorm1d(b) for b in dims[1:]])

                def forward(self, x):
                    for conv, norm in zip(self.convs, self.norms):
                        x = norm(conv(x)).relu()
                    return x
            """,
            line=6,
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(256, 128, bias=True)
                    self.bn = nn.BatchNorm1d(128)

                def forward(self, x):
                    return self.bn(self.fc(x))
            """,
            line=6,
        ),
    )
    valid = (
        Valid(  # a table whose entries are not all BatchNorms: which one is read is not known here
            """
            import torch.nn as nn

            CONV = {2: nn.Conv2d, 3: nn.Conv3d}
            NORM = {"batch": nn.BatchNorm2d, "instance": nn.InstanceNorm2d}

            def block(cin, cout, norm):
                return nn.Sequential(CONV[2](cin, cout, 3), NORM[norm](cout))
            """
        ),
        Valid(  # the helper's conv also ends the network, with no BatchNorm after it: its bias matters there
            """
            import torch.nn as nn

            def conv(c_in, c_out):
                return nn.Conv1d(c_in, c_out, 3, padding=1)

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = conv(8, 16)
                    self.bn = nn.BatchNorm1d(16)
                    self.head = conv(16, 4)

                def forward(self, x):
                    return self.head(self.bn(self.conv(x)))
            """
        ),
        Valid(  # the helper fixes the bias itself and one call builds no BatchNorm after it: the bias matters there
            _MODE_LETTERS.format(param="", arg="", head_bias="", second="tail", second_args='nc, 1, mode="C"'),
        ),
        Valid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 64, 3, bias=False), nn.BatchNorm2d(64))\n"),
        Valid(  # DGL's GIN MLP: the linears come from three calls, and the last one never feeds a BatchNorm: which
                # of them does is not known from an index alone
            """
            import torch.nn as nn

            class MLP(nn.Module):
                def __init__(self, num_layers, input_dim, hidden_dim, output_dim):
                    super().__init__()
                    self.num_layers = num_layers
                    self.linears = nn.ModuleList()
                    self.batch_norms = nn.ModuleList()
                    self.linears.append(nn.Linear(input_dim, hidden_dim))
                    for layer in range(num_layers - 2):
                        self.linears.append(nn.Linear(hidden_dim, hidden_dim))
                    self.linears.append(nn.Linear(hidden_dim, output_dim))
                    for layer in range(num_layers - 1):
                        self.batch_norms.append(nn.BatchNorm1d(hidden_dim))

                def forward(self, h):
                    for i in range(self.num_layers - 1):
                        h = self.batch_norms[i](self.linears[i](h)).relu()
                    return self.linears[-1](h)
            """
        ),
        Valid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.BatchNorm2d(64))\n"),
        Valid("import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64, affine=False))\n"),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for verdict in model.analysis(verdicts):
            if verdict.code == self.code:
                yield Report(verdict.node, verdict.message, fix=verdict.fix)
