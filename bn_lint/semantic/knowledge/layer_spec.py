"""One row of the layer tables (:mod:`.layers`, :mod:`.foreign_layers`): what a layer's constructor
decides about its input and output (see :mod:`.layers` for the columns)."""
from __future__ import annotations

from dataclasses import dataclass

SAME = "same"


@dataclass(frozen=True)
class LayerSpec:
    name: str
    kind: str
    params: tuple[str, ...]
    in_width: str | None = None
    out_width: str | None = None
    in_ranks: tuple[int, ...] | None = None
    out_rank: int | str | None = SAME
    defaults: tuple[tuple[str, object], ...] = ()
    # shape facts used by the chain analysis (see ``_SHAPES`` in :mod:`.layers`)
    batched_rank: int | None = None  # output rank for the usual batched input, when the input's is unknown
    features: str | None = None  # where the output width lives: "first" (dim 1) or "last" (last dim)
    layout_param: str | None = None  # a flag that must be True for the "last" layout (``batch_first``)
    doubles_with: str | None = None  # a flag that doubles the output width (``bidirectional``)
    transparent: bool = False  # passes values through unchanged (a bias before it still reaches the next layer)

    @property
    def is_batchnorm(self) -> bool:
        return self.kind == "batchnorm"

    def default(self, param: str, missing: object = None) -> object:
        return dict(self.defaults).get(param, missing)
