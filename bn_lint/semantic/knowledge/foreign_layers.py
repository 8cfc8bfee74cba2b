"""Layers of other libraries whose output shape is fixed by their constructor: one row per class.

The chain analysis treats them as it treats torch.nn layers (see :mod:`.layers`): a graph
convolution gives (nodes, out_channels) like a Linear; a group-equivariant convolution gives
(N, C, G, H, W), a 5-D tensor, whatever its 2-D-looking name says. Only classes whose output
width and rank the constructor decides are rows (not ``GATConv``, whose width depends on
``heads`` and ``concat``).
"""
from __future__ import annotations

from bn_lint.semantic.knowledge.layer_spec import LayerSpec

_GRAPH = "graph"  # node features on the last axis, of the width out_channels: (num_nodes, C) or (B, N, C)


def _graph(name: str, params: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(name, _GRAPH, params, params[0], params[1], None, "same", (("bias", True),), features="last")


def _gconv(name: str, in_rank: int) -> LayerSpec:
    params = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "bias")
    return LayerSpec(name, "conv", params, "in_channels", "out_channels", (in_rank,), 5, (("bias", True),),
                     batched_rank=5, features="first")


_PYG = ("in_channels", "out_channels")
_DGL = ("in_feats", "out_feats")

# module prefix -> {class name: row}
FOREIGN: dict[str, dict[str, LayerSpec]] = {
    "torch_geometric.nn": {
        name: _graph(name, _PYG)
        for name in ("GCNConv", "SAGEConv", "GraphConv", "ChebConv", "LEConv", "ClusterGCNConv", "SGConv",
                     "TAGConv", "ARMAConv", "GENConv", "FiLMConv", "ResGatedGraphConv", "GeneralConv")
    },
    "dgl.nn": {name: _graph(name, _DGL) for name in ("GraphConv", "SAGEConv", "TAGConv", "SGConv", "ChebConv")},
    # PyG's BatchNorm: a BatchNorm1d over the node features (num_nodes, C), with its running statistics and modes
    "torch_geometric.nn.norm": {"BatchNorm": LayerSpec(
        "BatchNorm", "batchnorm", ("in_channels", "eps", "momentum", "affine", "track_running_stats"), "in_channels",
        "same", (2,), "same", (("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True)),
        features="last")},
    # GrouPy (group-equivariant CNNs): P4 / P4M feature maps carry a group axis, (N, C, G, H, W)
    "groupy.gconv.pytorch_gconv": {
        "P4ConvZ2": _gconv("P4ConvZ2", 4), "P4ConvP4": _gconv("P4ConvP4", 5),
        "P4MConvZ2": _gconv("P4MConvZ2", 4), "P4MConvP4M": _gconv("P4MConvP4M", 5),
    },
}


# BatchNorm re-implementations, found under a package of this name wherever a project vendors it
# (vacancy's Synchronized-BatchNorm-PyTorch: `from lib.sync_batchnorm import SynchronizedBatchNorm2d`)
_BN_PARAMS = ("num_features", "eps", "momentum", "affine")
_BN_DEFAULTS = (("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True))
VENDORED: dict[str, dict[str, LayerSpec]] = {
    "sync_batchnorm": {
        f"SynchronizedBatchNorm{d}d": LayerSpec(f"SynchronizedBatchNorm{d}d", "batchnorm", _BN_PARAMS, "num_features",
                                                "same", {1: (2, 3), 2: (4,), 3: (5,)}[d], "same", _BN_DEFAULTS,
                                                features="first")
        for d in (1, 2, 3)
    },
}


def foreign_lookup(qualified_name: str) -> LayerSpec | None:
    """The row for ``torch_geometric.nn.conv.GCNConv``-like names (any submodule of a listed prefix), or
    for a vendored package's class (``models.sync_batchnorm.batchnorm.SynchronizedBatchNorm2d``)."""
    module, _, name = qualified_name.rpartition(".")
    if module == "torch_geometric.nn":  # (re-exported: `from torch_geometric.nn import BatchNorm`)
        module = "torch_geometric.nn.norm" if name == "BatchNorm" else module
    for prefix, rows in FOREIGN.items():
        if (module == prefix or module.startswith(prefix + ".")) and name in rows:
            return rows[name]
    parts = module.split(".")
    for package, rows in VENDORED.items():
        if package in parts and name in rows:
            return rows[name]
    return None
