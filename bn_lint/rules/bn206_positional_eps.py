"""BN206 positional-eps."""
from __future__ import annotations

import re
from typing import Iterable

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.batching.arguments import parameter_numbers
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.batching.analysis import BatchAnalysis
from bn_lint.semantic.evaluators.int_typed import int_typed

EPS_LIMIT = 0.01


class PositionalEps(Rule):
    code = "BN206"
    name = "positional-eps"
    severity = Severity.ERROR
    summary = "A positional argument of a BatchNorm constructor lands in `eps` with a width, momentum or flag value."
    what = """
        Flags a BatchNorm constructor whose `eps` is given positionally (the second argument;
        the first for the Lazy variants) with an integer or a value ≥ 0.01 (written there, in a
        constant or config entry, or given to the parameter it names), with the same
        expression as `num_features` (`nn.BatchNorm1d(width, width)`), with a name that says
        a width or a momentum (`out_features`, `bn_momentum`), whatever its value, or with a
        boolean or a name that says the `affine` flag (`nn.BatchNorm2d(C, AFFINE)`: eps 1.0).
    """
    why = """
        The signature is `BatchNorm2d(num_features, eps=1e-05, momentum=0.1, ...)`.
        `nn.BatchNorm1d(C, C)` or `nn.BatchNorm2d(64, 0.9)` sets `eps` to a width or to what
        was meant as momentum: every activation is then divided by about `sqrt(eps)` instead
        of its standard deviation, which silently flattens the layer. Nothing raises.
    """
    example = """
        bn = nn.BatchNorm2d(64, 0.9)  # meant momentum=0.9 (itself a Keras value)
    """
    fix_docs = """
        Pass the intended argument by keyword: `nn.BatchNorm2d(64, momentum=0.1)`.
    """
    use_instead = """
        bn = nn.BatchNorm2d(64, momentum=0.1)  # by keyword: the second positional argument is eps
    """
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
    )
    triggers = ("BatchNorm",)
    invalid = (
        Invalid(  # an int-annotated width passed where eps goes (a projection MLP's output_dim)
            """
            import torch.nn as nn

            class MLP(nn.Module):
                def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
                    super().__init__()
                    self.fc1 = nn.Linear(input_dim, hidden_dim)
                    self.bn = nn.BatchNorm1d(hidden_dim, output_dim)
            """,
            line=7,
        ),
        Invalid(  # a feature length computed with int(...) (SincNet's CNN layers): an int, whatever its value
            """
            import torch.nn as nn

            def conv_layers(n_filters, input_dim, filter_lengths, pool_lengths):
                layers = nn.ModuleList([])
                current = input_dim
                for i, n_filt in enumerate(n_filters):
                    layers.append(nn.BatchNorm1d(n_filt, int((current - filter_lengths[i] + 1) / pool_lengths[i]),
                                                 momentum=0.05))
                    current = int((current - filter_lengths[i] + 1) / pool_lengths[i])
                return layers
            """,
            line=7,
        ),
        Invalid("import torch.nn as nn\ndef head(x):\n    return nn.BatchNorm1d(64, x.size(1))\n", line=3),
        Invalid("import torch.nn as nn\nbn = nn.BatchNorm1d(128, 128)\n", line=2),
        Invalid("from torch import nn\nbn = nn.BatchNorm2d(64, 0.1)\n", line=2),
        Invalid("import torch\nbn = torch.nn.LazyBatchNorm2d(0.9)\n", line=2),
        Invalid("import torch.nn as nn\ndef block(width):\n    return nn.BatchNorm1d(width, width)\n", line=3),
        Invalid("import torch.nn as nn\nBN_MOMENTUM = 0.1\nbn = nn.BatchNorm2d(64, BN_MOMENTUM)\n", line=3),
        Invalid(  # a width by its name, its value read from a config (`self.num_hidden = cfg.get('num_hidden', 64)`)
            """
            import torch.nn as nn
            def mlp(cfg, in_features):
                out_features = cfg.hidden
                return nn.Sequential(nn.Linear(in_features, out_features), nn.BatchNorm1d(in_features, out_features))
            """,
            line=4,
        ),
        Invalid(  # a parameter whose default no call overrides
            """
            import torch.nn as nn

            def cifar_stem(model, bn_momentum=0.1):
                model.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
                model.bn1 = nn.BatchNorm2d(64, bn_momentum)
                return model
            """,
            line=5,
        ),
    )
    valid = (
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, 1e-3)\n"),
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64, eps=0.001, momentum=0.1)\n"),
        Valid("import torch.nn as nn\nbn = nn.BatchNorm2d(64)\n"),
        Valid("import torch.nn as nn\nbn = nn.GroupNorm(32, 64)\n"),
        Valid("import torch.nn as nn\ndef f(eps):\n    return nn.BatchNorm2d(64, eps)\n"),
        Valid("import torch.nn as nn\ndef f(scale):\n    return nn.BatchNorm2d(64, 1e-5 * scale)\n"),  # not certainly an int
        Valid("import torch.nn as nn\ndef f(x):\n    return nn.BatchNorm2d(64, float(len(x)))\n"),
        Valid("import torch.nn as nn\ndef f(c: int, eps: float = 1e-3):\n    return nn.BatchNorm2d(c, eps)\n"),
        Valid("import torch.nn as nn\ndef f(c, eps=1e-3):\n    return nn.BatchNorm2d(c, eps)\nbn = f(8, 1e-5)\n"),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        for layer in model.layer_calls:
            if not layer.spec.is_batchnorm or "eps" not in layer.positional:
                continue
            eps = layer.args["eps"]
            value = model.value(eps, layer.scope)
            features = layer.args.get("num_features")
            source = ""
            if isinstance(value, bool) or _named_as(eps, _FLAG_NAME):
                # (`BatchNorm2d(C, True)`, `BatchNorm2d(C, AFFINE)`: the `affine` flag meant, eps becomes 1.0 or 0.0)
                sets = f"{model.code(eps)} sets eps={float(value):g}" if isinstance(value, bool) else \
                    f"`{model.code(eps)}` (named as a flag) sets eps"
                yield Report(
                    layer.node,
                    f"{layer.spec.name}: the positional argument {sets} (looks like the `affine` or "
                    f"`track_running_stats` flag); eps should be tiny (default 1e-5) — pass the intended argument by "
                    f"keyword",
                )
                continue
            if not isinstance(value, (int, float)):
                given = model.analysis(BatchAnalysis).number(eps, layer.scope)  # a constant or config entry of another file
                if given is None or not _not_an_eps(given.value):
                    given = next((g for g in parameter_numbers(model, eps, layer.scope) if _not_an_eps(g.value)), None)
                if given is not None:
                    value, source = given.value, f" ({given.source})"
                elif int_typed(model, eps, layer.scope):
                    value, source = model.code(eps), " (an int)"
                elif _named_as(eps, _WIDTH_NAME):
                    value, source = model.code(eps), " (named as a width)"
                elif _named_as(eps, _MOMENTUM_NAME):
                    value, source = model.code(eps), " (named as a momentum)"
                elif features is None or model.code(features) != model.code(eps):
                    continue
                else:
                    value = model.code(eps)  # `BatchNorm1d(width, width)`: a width, whatever its value
            elif not _not_an_eps(value):
                continue
            meaning = "a momentum" if isinstance(value, float) or "momentum" in source else "a width"
            sets = f"`{value}`{source} sets eps" if isinstance(value, str) else \
                f"{model.code(eps)} sets eps={value:g}{source}"
            yield Report(
                layer.node,
                f"{layer.spec.name}: the positional argument {sets} (looks like {meaning}); eps should be tiny "
                f"(default 1e-5) — pass the intended argument by keyword",
            )


# the name of what is given where eps goes says it is a width or a momentum, whatever its value (`out_features`,
# `self.num_hidden`, `bn_momentum`): no one names an epsilon so
_WIDTH_NAME = re.compile(r"(?i)(?:^|_)(?:features|channels|planes|dims?|width|units|hidden|filters|neurons|size|"
                         r"ch|chs|cout|cin|nf|nc)$")
_MOMENTUM_NAME = re.compile(r"(?i)(?:^|_)(?:momentum|mom)$")
_FLAG_NAME = re.compile(r"(?i)(?:^|_)(?:affine|track_running_stats|track_stats)$")


def _named_as(expr, pattern: "re.Pattern") -> bool:
    """Whether ``expr`` is a name or an attribute (``out_features``, ``self.num_hidden``) whose last name matches."""
    import libcst as cst

    name = expr.value if isinstance(expr, cst.Name) else expr.attr.value if isinstance(expr, cst.Attribute) else None
    return name is not None and bool(pattern.search(name))


def _not_an_eps(value: object) -> bool:
    """An integer (a width), or a float of at least EPS_LIMIT (a momentum)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (isinstance(value, int) or value >= EPS_LIMIT)
