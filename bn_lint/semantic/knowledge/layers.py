"""What bn-lint knows about torch.nn layers: one row per constructor.

Columns:
- ``params``: the constructor's positional parameters, in order.
- ``in_width`` / ``out_width``: the parameter holding the input / output width
  (channels or features). ``SAME`` means the layer passes its input width
  through (activations, dropout, pooling, norms); ``None`` means unknown or
  not applicable.
- ``in_ranks``: the input ranks (batch dimension included) the layer accepts;
  ``None`` means any.
- ``out_rank``: the rank it produces: an int, ``SAME`` (same as its input),
  or ``None`` (unknown).
- ``kind``: a coarse family that rules can ask about.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from bn_lint.semantic.knowledge.foreign_layers import FOREIGN, VENDORED, foreign_lookup
from bn_lint.semantic.knowledge.layer_spec import SAME, LayerSpec

_BN_PARAMS = ("num_features", "eps", "momentum", "affine", "track_running_stats", "device", "dtype")
_LAZY_BN_PARAMS = ("eps", "momentum", "affine", "track_running_stats", "device", "dtype")
_BN_DEFAULTS = (("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True))
_CONV_PARAMS = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
    "padding_mode", "device", "dtype",
)
_CONVT_PARAMS = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
    "bias", "dilation", "padding_mode", "device", "dtype",
)
_LAZY_CONV_PARAMS = _CONV_PARAMS[1:]
_LAZY_CONVT_PARAMS = _CONVT_PARAMS[1:]
_IN_PARAMS = ("num_features", "eps", "momentum", "affine", "track_running_stats", "device", "dtype")
_RNN_PARAMS = ("input_size", "hidden_size", "num_layers")
_TRANSFORMER_LAYER_PARAMS = ("d_model", "nhead", "dim_feedforward", "dropout", "activation")

_ROWS: list[LayerSpec] = []


def _add(*specs: LayerSpec) -> None:
    _ROWS.extend(specs)


for _d in (1, 2, 3):
    _ranks = {1: (2, 3), 2: (4,), 3: (5,)}[_d]
    _conv_ranks = (_d + 1, _d + 2)  # unbatched or batched
    _add(
        LayerSpec(f"BatchNorm{_d}d", "batchnorm", _BN_PARAMS, "num_features", SAME, _ranks, SAME, _BN_DEFAULTS),
        LayerSpec(f"LazyBatchNorm{_d}d", "batchnorm", _LAZY_BN_PARAMS, None, SAME, _ranks, SAME, _BN_DEFAULTS),
        LayerSpec(f"InstanceNorm{_d}d", "norm", _IN_PARAMS, "num_features", SAME, (_d + 1, _d + 2), SAME),
        LayerSpec(f"LazyInstanceNorm{_d}d", "norm", _IN_PARAMS[1:], None, SAME, (_d + 1, _d + 2), SAME),
        LayerSpec(f"Conv{_d}d", "conv", _CONV_PARAMS, "in_channels", "out_channels", _conv_ranks, SAME, (("bias", True),)),
        LayerSpec(f"ConvTranspose{_d}d", "conv", _CONVT_PARAMS, "in_channels", "out_channels", _conv_ranks, SAME, (("bias", True),)),
        LayerSpec(f"LazyConv{_d}d", "conv", _LAZY_CONV_PARAMS, None, "out_channels", _conv_ranks, SAME, (("bias", True),)),
        LayerSpec(f"LazyConvTranspose{_d}d", "conv", _LAZY_CONVT_PARAMS, None, "out_channels", _conv_ranks, SAME, (("bias", True),)),
        LayerSpec(f"MaxPool{_d}d", "pool", ("kernel_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"AvgPool{_d}d", "pool", ("kernel_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"AdaptiveAvgPool{_d}d", "pool", ("output_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"AdaptiveMaxPool{_d}d", "pool", ("output_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"LPPool{_d}d", "pool", ("norm_type", "kernel_size"), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"FractionalMaxPool{_d}d", "pool", ("kernel_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"MaxUnpool{_d}d", "pool", ("kernel_size",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"ReflectionPad{_d}d", "pad", ("padding",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"ReplicationPad{_d}d", "pad", ("padding",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"ZeroPad{_d}d", "pad", ("padding",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"ConstantPad{_d}d", "pad", ("padding", "value"), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"CircularPad{_d}d", "pad", ("padding",), SAME, SAME, _conv_ranks, SAME),
        LayerSpec(f"Dropout{_d}d", "dropout", ("p", "inplace"), SAME, SAME, None, SAME),
    )

_add(
    LayerSpec("SyncBatchNorm", "batchnorm", _BN_PARAMS[:5] + ("process_group", "device", "dtype"), "num_features", SAME, None, SAME, _BN_DEFAULTS),
    LayerSpec("Linear", "linear", ("in_features", "out_features", "bias", "device", "dtype"), "in_features", "out_features", None, SAME, (("bias", True),)),
    LayerSpec("LazyLinear", "linear", ("out_features", "bias", "device", "dtype"), None, "out_features", None, SAME, (("bias", True),)),
    LayerSpec("Bilinear", "linear", ("in1_features", "in2_features", "out_features", "bias"), None, "out_features", None, SAME, (("bias", True),)),
    LayerSpec("Embedding", "embedding", ("num_embeddings", "embedding_dim", "padding_idx"), None, "embedding_dim", None, None),
    LayerSpec("EmbeddingBag", "embedding", ("num_embeddings", "embedding_dim"), None, "embedding_dim", None, 2),
    LayerSpec("RNN", "rnn", _RNN_PARAMS, "input_size", None, (2, 3), SAME),
    LayerSpec("LSTM", "rnn", _RNN_PARAMS, "input_size", None, (2, 3), SAME),
    LayerSpec("GRU", "rnn", _RNN_PARAMS, "input_size", None, (2, 3), SAME),
    LayerSpec("TransformerEncoderLayer", "transformer", _TRANSFORMER_LAYER_PARAMS, "d_model", "d_model", (2, 3), SAME),
    LayerSpec("TransformerDecoderLayer", "transformer", _TRANSFORMER_LAYER_PARAMS, "d_model", "d_model", (2, 3), SAME),
    LayerSpec("TransformerEncoder", "transformer", ("encoder_layer", "num_layers", "norm"), None, None, (2, 3), SAME),
    LayerSpec("TransformerDecoder", "transformer", ("decoder_layer", "num_layers", "norm"), None, None, (2, 3), SAME),
    LayerSpec("Transformer", "transformer", ("d_model", "nhead"), "d_model", "d_model", (2, 3), SAME),
    LayerSpec("MultiheadAttention", "attention", ("embed_dim", "num_heads"), "embed_dim", None, (2, 3), SAME),
    LayerSpec("GroupNorm", "norm", ("num_groups", "num_channels", "eps", "affine"), "num_channels", SAME, None, SAME),
    LayerSpec("LayerNorm", "norm", ("normalized_shape", "eps", "elementwise_affine"), None, SAME, None, SAME),
    LayerSpec("RMSNorm", "norm", ("normalized_shape", "eps", "elementwise_affine"), None, SAME, None, SAME),
    LayerSpec("LocalResponseNorm", "norm", ("size",), SAME, SAME, None, SAME),
    LayerSpec("Flatten", "reshape", ("start_dim", "end_dim"), None, None, None, None, (("start_dim", 1), ("end_dim", -1))),
    LayerSpec("Unflatten", "reshape", ("dim", "unflattened_size"), None, None, None, None),
    LayerSpec("Upsample", "resize", ("size", "scale_factor", "mode"), SAME, SAME, None, SAME),
    LayerSpec("UpsamplingNearest2d", "resize", ("size", "scale_factor"), SAME, SAME, (4,), SAME),
    LayerSpec("UpsamplingBilinear2d", "resize", ("size", "scale_factor"), SAME, SAME, (4,), SAME),
    LayerSpec("PixelShuffle", "resize", ("upscale_factor",), None, None, None, SAME),
    LayerSpec("PixelUnshuffle", "resize", ("downscale_factor",), None, None, None, SAME),
    LayerSpec("Dropout", "dropout", ("p", "inplace"), SAME, SAME, None, SAME),
    LayerSpec("AlphaDropout", "dropout", ("p", "inplace"), SAME, SAME, None, SAME),
    LayerSpec("FeatureAlphaDropout", "dropout", ("p", "inplace"), SAME, SAME, None, SAME),
    LayerSpec("Identity", "identity", (), SAME, SAME, None, SAME),
    LayerSpec("Sequential", "container", (), None, None, None, None),
    LayerSpec("ModuleList", "container", ("modules",), None, None, None, None),
    LayerSpec("ModuleDict", "container", ("modules",), None, None, None, None),
)

for _act in (
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
    "Sigmoid", "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Hardshrink", "Softshrink", "Tanhshrink",
    "Softplus", "Softsign", "LogSigmoid", "Threshold", "GLU",
):
    _add(LayerSpec(_act, "activation", ("inplace",) if _act in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid") else (), SAME, SAME, None, SAME))
for _act in ("Softmax", "LogSoftmax", "Softmax2d", "Softmin"):
    _add(LayerSpec(_act, "activation", ("dim",), SAME, SAME, None, SAME))

# Shape facts: name -> LayerSpec fields. Width-preserving layers (out_width SAME) need no row.
_SHAPES: dict[str, dict[str, object]] = {
    "Linear": {"features": "last"},
    "LazyLinear": {"features": "last"},
    "Bilinear": {"features": "last"},
    "Embedding": {"batched_rank": 3, "features": "last"},  # (N, L) indices -> (N, L, E)
    "EmbeddingBag": {"batched_rank": 2, "features": "last"},
    "TransformerEncoderLayer": {"batched_rank": 3, "features": "last", "layout_param": "batch_first"},
    "TransformerDecoderLayer": {"batched_rank": 3, "features": "last", "layout_param": "batch_first"},
    "Identity": {"transparent": True},
    "GroupNorm": {"features": "first"},
    "LayerNorm": {"features": "last"},
    "RMSNorm": {"features": "last"},
}
for _rnn in ("RNN", "LSTM", "GRU"):
    _SHAPES[_rnn] = {
        "batched_rank": 3, "features": "last", "layout_param": "batch_first", "doubles_with": "bidirectional",
        "out_width": "hidden_size",
    }
for _d in (1, 2, 3):
    for _name in ("Conv{}d", "ConvTranspose{}d", "LazyConv{}d", "LazyConvTranspose{}d", "BatchNorm{}d",
                  "LazyBatchNorm{}d", "InstanceNorm{}d", "LazyInstanceNorm{}d", "MaxPool{}d", "AvgPool{}d",
                  "AdaptiveAvgPool{}d", "AdaptiveMaxPool{}d", "LPPool{}d", "FractionalMaxPool{}d"):
        _SHAPES[_name.format(_d)] = {"batched_rank": _d + 2, "features": "first"}
for _name in ("BatchNorm1d", "LazyBatchNorm1d"):
    _SHAPES[_name] = {"batched_rank": None, "features": "first"}  # (N, C) or (N, C, L)
_SHAPES["GLU"] = {"out_width": None}  # halves its input
_SHAPES["RNN"]["params"] = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first")
_SHAPES["LSTM"]["params"] = ("input_size", "hidden_size", "num_layers", "bias", "batch_first")
_SHAPES["GRU"]["params"] = ("input_size", "hidden_size", "num_layers", "bias", "batch_first")

_ROWS[:] = [replace(spec, **_SHAPES[spec.name]) if spec.name in _SHAPES else spec for spec in _ROWS]

# Functions and tensor methods that keep the shape (and so the width) of their first argument.
SAME_SHAPE_FUNCTIONS = frozenset(
    f"torch.nn.functional.{name}" for name in (
        "relu", "relu_", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "leaky_relu", "hardswish",
        "hardsigmoid", "hardtanh", "sigmoid", "tanh", "softplus", "prelu", "dropout", "dropout1d", "dropout2d",
        "dropout3d", "alpha_dropout", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
        "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
        "adaptive_max_pool2d", "adaptive_max_pool3d", "interpolate", "upsample", "softmax", "log_softmax",
    )
) | frozenset(f"torch.{name}" for name in ("relu", "relu_", "sigmoid", "tanh", "dropout", "max_pool1d", "max_pool2d",
                                         "clone", "autograd.Variable", "autograd.variable.Variable"))
SAME_SHAPE_METHODS = frozenset({
    "relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "clamp", "clamp_", "abs", "exp", "neg",
})
# methods that change neither shape nor values (a bias before them still reaches what follows)
TRANSPARENT_METHODS = frozenset({"contiguous", "float", "half", "double", "bfloat16", "to", "type_as", "clone", "detach", "cuda", "cpu"})

# Functional batch normalization -> the position of its ``training`` argument. A module whose own code calls one
# with the mode it is in (``F.batch_norm(x, self.stored_mean, self.stored_var, w, b, self.training)``) is a
# BatchNorm layer: batch statistics (and running buffers updated) in training mode, the buffers in eval mode.
FUNCTIONAL_BATCH_NORM = {"torch.nn.functional.batch_norm": 5, "torch.batch_norm": 5}

LAYERS: dict[str, LayerSpec] = {spec.name: spec for spec in _ROWS}
BATCHNORM_NAMES = frozenset(name for name, spec in LAYERS.items() if spec.is_batchnorm)


def lookup(qualified_name: str | None) -> LayerSpec | None:
    """The row for a qualified name such as ``torch.nn.BatchNorm2d``, if any."""
    if not qualified_name:
        return None
    module, _, name = qualified_name.rpartition(".")
    if module == "torch.nn" or module.startswith("torch.nn.modules"):
        return LAYERS.get(name)
    return foreign_lookup(qualified_name)


@lru_cache(maxsize=None)
def names_pattern() -> bytes:
    """A regex (of a file's bytes) for any class name ``lookup`` knows, as a word: a file whose text
    has none cannot build a layer (each name a call resolves to is spelled in the file: ``nn.Conv2d``,
    an import, an alias)."""
    names = {*LAYERS, *(n for rows in FOREIGN.values() for n in rows), *(n for rows in VENDORED.values() for n in rows)}
    return rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names, key=len, reverse=True)) + rb")\b"

