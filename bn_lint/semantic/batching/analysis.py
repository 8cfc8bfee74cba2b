"""Batch sizes, data loaders and distribution: the facts behind the BN3xx rules.

``BatchAnalysis`` (``model.analysis(BatchAnalysis)``) finds every ``DataLoader(...)`` of a
file, resolves its batch size (literals, constants, arithmetic, argparse /
click / typer defaults, config dicts, dataclass defaults, ``os.environ.get``
defaults, imported constants), its ``drop_last``, its dataset's length when the
code makes it certain, and which models it trains: a loader is a training
loader when a ``for`` loop over it (directly, or in a function it is passed
to) runs a model and calls ``backward()`` / ``optimizer.step()``. Anything not
certain is ``None`` and the rules stay silent. It composes the file's analyses
below it (each one per file, through ``model.analysis``): ``SizeResolution``
(``batch_sizes``: batch sizes, numbers and dataset lengths) and
``TrainingDetection`` (``batch_trainings``: training loops and their models);
``batch_facts`` holds the constants, records and helpers they share.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from bn_lint.semantic.evaluators.call_binding import bind
from bn_lint.semantic.batching.facts import (  # noqa: F401  (re-exported: other modules import them from here)
    BATCH_SAMPLERS, DATALOADERS, DDP, DISTRIBUTED_SAMPLERS, LENGTH_KEEPING_SAMPLERS, Loader, Size, Training,
    _DISTRIBUTED_MARKERS, _call_of, _is_convert_sync, _without_comments,
)

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Scope

from bn_lint.semantic.batching.sizes import SizeResolution
from bn_lint.semantic.batching.trainings import (  # noqa: F401  (re-exported: other modules import them from here)
    TrainingDetection,
)


class BatchAnalysis:
    """The loaders of one file and the DDP / SyncBatchNorm facts around them."""

    def __init__(self, model: "FileModel") -> None:
        self.model = model
        self.sizes = model.analysis(SizeResolution)
        self.trainings = model.analysis(TrainingDetection)
        self._loader_sites: list[tuple[cst.Call, "Scope"]] = []
        self.ddp_calls: list[tuple[cst.Call, "Scope"]] = []
        self.sync_calls: list[tuple[cst.Call, "Scope"]] = []  # convert_sync_batchnorm(...)
        for site in model.calls:
            qn = model.qualname(site.node.func)
            if qn in DATALOADERS:
                self._loader_sites.append((site.node, site.scope))
            elif qn in DDP:
                self.ddp_calls.append((site.node, site.scope))
            elif _is_convert_sync(site.node, qn):
                self.sync_calls.append((site.node, site.scope))

    # ------------------------------------------------------------------ sizes
    def size(self, expr: cst.BaseExpression, scope: "Scope | None", following: frozenset = frozenset()) -> Size | None:
        """The integer ``expr`` certainly holds (by default), or None (``SizeResolution.size``)."""
        return self.sizes.size(expr, scope, following)

    def number(self, expr: cst.BaseExpression, scope: "Scope | None") -> Size | None:
        """The number ``expr`` certainly holds (by default), float or integer (``SizeResolution.number``)."""
        return self.sizes.number(expr, scope)

    def trains_batchnorm(self) -> bool:
        """Whether some loop of this file trains a BatchNorm model (``TrainingDetection.trains_batchnorm``)."""
        return self.trainings.trains_batchnorm()

    # ---------------------------------------------------------------- loaders
    @cached_property
    def loaders(self) -> list[Loader]:
        """The file's DataLoaders, worked out on first use (another file's trainer is asked only for
        ``loops_training``, which needs none)."""
        return [self._loader(call, scope) for call, scope in self._loader_sites]

    def _loader(self, call: cst.Call, scope: "Scope") -> Loader:
        names = ("dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers", "collate_fn",
                 "pin_memory", "drop_last")
        # (`DataLoader(ds, **loader_args)` with `loader_args = dict(batch_size=8, ...)`: the bundle's entries; an
        # unknown `**kwargs` leaves what the call does not write unknown, and cannot repeat what it writes)
        args = bind(call, names, self.model, scope)
        opaque = not args.complete
        batch: Size | None = None
        batch_node: cst.CSTNode = call
        given = "batch_size" in args or "batch_sampler" in args
        drop_last: bool | None = None if opaque else False
        drop_arg = args.get("drop_last")
        if drop_arg is not None:
            value = self.model.value(drop_arg, args.scope_of("drop_last", scope))
            drop_last = value if isinstance(value, bool) else self.sizes.flag(drop_arg, args.scope_of("drop_last", scope))
        if "batch_sampler" in args:
            batch_node = args.values["batch_sampler"]
            batch, drop_last = self._batch_sampler(batch_node, args.scope_of("batch_sampler", scope))
        elif "batch_size" in args:
            batch_node = args.values["batch_size"]
            batch = self.sizes.size(batch_node, args.scope_of("batch_size", scope))
        elif not opaque:
            batch = Size(1, "DataLoader's default batch_size")
        sampler = args.get("sampler")
        distributed = False
        length = None if opaque or "dataset" not in args else self.sizes.lengths.length(
            args.values["dataset"], args.scope_of("dataset", scope))
        if sampler is not None:
            sampler_call = _call_of(self.model, sampler, args.scope_of("sampler", scope))
            qn = self.model.qualname(sampler_call.func) if sampler_call is not None else None
            distributed = qn in DISTRIBUTED_SAMPLERS
            if qn not in LENGTH_KEEPING_SAMPLERS or any(a.keyword and a.keyword.value == "num_samples" for a in sampler_call.args):
                length = None
        name = None
        parent = self.model.parent(call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            name = parent.targets[0].target.value
        loader = Loader(call, scope, name, batch, batch_node, given, drop_last, length, distributed, drop_arg)
        loader.trains = list(self.trainings.trainings(call, scope))
        return loader

    def _batch_sampler(self, expr: cst.BaseExpression, scope: "Scope") -> tuple[Size | None, bool | None]:
        call = _call_of(self.model, expr, scope)
        if call is None or self.model.qualname(call.func) not in BATCH_SAMPLERS:
            return None, None
        args = bind(call, ("sampler", "batch_size", "drop_last")).known()
        if not args or "batch_size" not in args:
            return None, None
        drop = self.model.value(args.values["drop_last"], scope) if "drop_last" in args else False
        return self.sizes.size(args.values["batch_size"], scope), drop if isinstance(drop, bool) else None

    # -------------------------------------------------------------- distribution
    @property
    def uses_sync_batchnorm(self) -> bool:
        return bool(self.sync_calls) or "SyncBatchNorm" in self.model.source

    def distributed_anywhere(self) -> bool:
        """Whether this file's code (not its comments: "trimmed down from our DDP script"), or a project
        file it imports, shows any sign of a process group / launcher."""
        return self._mentioned_here_or_imported(_DISTRIBUTED_MARKERS, _without_comments(self.model.source))

    def sync_batchnorm_anywhere(self) -> bool:
        """Whether this file, or a project file it imports, converts to (or builds) SyncBatchNorm."""
        return self.uses_sync_batchnorm or self._mentioned_here_or_imported(("SyncBatchNorm", "sync_batchnorm", "SyncBN"))

    def _mentioned_here_or_imported(self, markers: tuple[str, ...], here: str | None = None) -> bool:
        model = self.model
        here = model.source if here is None else here
        if any(marker in here for marker in markers):
            return True
        return model.project is not None and any(
            model.project.mentions(path, marker) for path in model.imported_project_paths for marker in markers)
