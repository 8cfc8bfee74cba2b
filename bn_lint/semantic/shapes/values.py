"""The values the chain analysis computes with (see :mod:`.chains`): layers, chains of modules,
tensors of partly known shape, references to functions and classes; and the pure operations on them
(merging tensors, flatten/concat shapes, the Python builtins the interpreter evaluates)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.knowledge.layers import SAME, LayerSpec
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym, is_width, sym_add, sym_int, sym_mul, sym_opaque
from bn_lint.semantic.syntax.walk import walk

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import ClassInfo, FileModel


# ------------------------------------------------------------------ values
class _Gap:
    """An unknown stretch of modules in a chain."""

    def __repr__(self) -> str:
        return "GAP"


GAP: Any = _Gap()


@dataclass(frozen=True)
class LayerClass:
    """A torch.nn class (or ``functools.partial`` of one) as a value."""

    spec: LayerSpec
    preset: tuple[tuple[str, Any], ...] = ()


# what says class labels: a table sized by `num_classes` / `N_LABELS`, or ids named `y`, `labels`, `cls`...
_CLASS_TABLE = re.compile(r"(?i)class|label")
# ids of one thing per sample: labels, conditions, `device_id` / `user_idx` (singular; `input_ids` are tokens),
# and a recommender's or graph's entities (`item_ids`, `user_indices`: one user or item per row)
_LABEL_IDS = re.compile(r"(?i)y|c|cls|\w*class\w*|\w*labels?|targets?|cond\w*|\w+_(?:id|idx|index)"
                        r"|(?:\w+_)?(?:user|item|movie|product|ad|customer|article|song|artist|book|business|store"
                        r"|shop|category|genre|entity|node|author|tag|query|doc|candidate|pos_item|neg_item)s?_(?:ids|idxs|indices)")


_ENTITY_TABLE = re.compile(r"(?i)(?:^|[^a-z0-9])(?:n|num|number_of|nb|count)_[a-z]")
_TOKEN_TABLE = re.compile(r"(?i)token|word|char|vocab|embedding|symbol|subword|piece|bpe|code|vq|atom|pixel|patch|pos")
_SEQUENCE_IDS = re.compile(r"(?i)seq|session|history|hist|tokens|words|chars|sentence|text|path|walk|trajector|s$")


@dataclass(eq=False)
class LayerValue:
    """One torch.nn layer built by a call, its arguments evaluated where it was built."""

    node: cst.Call
    spec: LayerSpec
    args: dict[str, cst.BaseExpression]
    values: dict[str, Any]
    preset: frozenset[str]
    plain: bool  # the call's function is the torch.nn class itself (no partial, no **kwargs)
    env: dict[str, Any]  # the building frame's local names, for fixes
    site: cst.Call | None  # outermost call site when built inside an inlined helper
    optional: bool = False  # an nn.Identity() in its place on other paths (`BN(c) if use_bn else Identity()`)
    # not there at all on other paths (`if bn: layers.append(BN(c))`): a list holding it has no known length
    absent_elsewhere: bool = False

    def value(self, param: str | None) -> Any:
        if param is None:
            return UNKNOWN
        if param in self.values:
            return self.values[param]
        if param in self.args or not self.plain:
            return UNKNOWN
        default = self.spec.default(param, UNKNOWN)
        return default if param in self.spec.params or default is not UNKNOWN else UNKNOWN

    @property
    def out_width(self) -> Any:
        spec = self.spec
        if spec.out_width in (None, SAME):
            return UNKNOWN
        width = self.value(spec.out_width)
        if spec.doubles_with:
            flag = self.value(spec.doubles_with)
            if flag is UNKNOWN and spec.doubles_with not in self.args and self.plain:
                flag = False
            if flag is True:
                width = sym_mul(width, 2)
            elif flag is not False:
                return UNKNOWN
            if "proj_size" in self.args:
                return UNKNOWN
        return width


@dataclass(frozen=True)
class FuncRef:
    node: cst.FunctionDef


@dataclass(frozen=True)
class TorchFunction:
    """A torch function kept as a value (``self.act = F.relu``), applied where it is called."""

    qualname: str


@dataclass(frozen=True)
class ClassRef:
    name: str


@dataclass(frozen=True)
class ForeignFunc:
    """A function of another project file, imported by name: run there for the layer it returns."""

    model: "FileModel"
    node: cst.FunctionDef


@dataclass(eq=False)
class SelfState:
    """``self`` while a class is built: attributes and, for nn.Sequential subclasses, the sequence."""

    info: "ClassInfo"
    attrs: dict[str, Any] = field(default_factory=dict)
    seq: "Chain | None" = None

    def copy(self) -> "SelfState":
        return SelfState(self.info, dict(self.attrs), self.seq)


@dataclass(eq=False)
class ProjModule:
    """An instance of one of the file's own nn.Module classes."""

    state: SelfState


@dataclass(frozen=True)
class Tensor:
    """What is known about a tensor: rank, some axis sizes, who produced its width."""

    rank: int | None = None
    sizes: tuple[tuple[int, Any], ...] = ()  # axis -> width; axis -1 = last when the rank is unknown
    feat: int | None = None  # the axis holding the producer's features (-1: last, rank unknown)
    producer: LayerValue | None = None
    direct: bool = False  # the producer feeds the next module with nothing in between
    origin: cst.CSTNode | None = None  # what fixed the rank (for messages)

    def size(self, axis: int) -> Any:
        if self.rank is not None:
            if not -self.rank <= axis < self.rank:
                return UNKNOWN
            axis %= self.rank
        for a, w in self.sizes:
            if a == axis:
                return w
        return UNKNOWN

    def step(self, keep_direct: bool = False) -> "Tensor":
        """The same tensor after a shape-preserving step."""
        return replace(self, direct=self.direct and keep_direct)


def make_tensor(rank: int | None, sizes: dict[int, Any], feat: int | None = None, producer: LayerValue | None = None,
                direct: bool = False, origin: cst.CSTNode | None = None) -> Tensor:
    clean: dict[int, Any] = {}
    for axis, width in sizes.items():
        if rank is not None:
            if not -rank <= axis < rank:
                continue
            axis %= rank
        elif axis not in (1, -1):
            continue
        if width is not UNKNOWN:
            clean[axis] = width
    if rank is not None and feat is not None:
        feat = feat % rank if -rank <= feat < rank else None
    return Tensor(rank, tuple(sorted(clean.items())), feat, producer, direct, origin)


def spatial_sizes(t: Tensor) -> dict[int, Any]:
    """The sizes known of ``t``'s map axes (after batch and channels), for a layer that keeps its map."""
    return {a: w for a, w in t.sizes if t.rank is not None and a >= 2}


def one_by_one(t: Tensor) -> bool:
    """``t`` is a batch of 1×1 maps (every axis after the channels of size 1): one value per channel per sample,
    what a BatchNorm in training mode cannot normalise on a batch of one."""
    return t.rank is not None and t.rank >= 3 and all(t.size(a) == 1 for a in range(2, t.rank))


@dataclass
class Chain:
    """A list of modules (``layers``), or an ``nn.Sequential``: items and the result of applying them.

    ``fills``: every module a ``GAP`` of ``items`` may stand for (what a loop appends), or None when
    something unknown may be there. ``module_list``: an ``nn.ModuleList``, whose items are never applied
    one after the other (a Python list's may be: ``nn.Sequential(*layers)``)."""

    items: tuple[Any, ...]
    tail: Tensor
    sequential: bool = False
    fills: tuple[Any, ...] | None = None
    module_list: bool = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Chain) and self.items == other.items and self.sequential == other.sequential

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Observation:
    """``bn`` was applied to ``tensor`` (``at``: by this explicit call, ``self.bn(x)``; None inside a container;
    ``via``: the outermost call that applied a project module to a tensor and so led here, ``model(x)``)."""

    bn: LayerValue
    tensor: Tensor
    at: cst.CSTNode | None = None
    via: cst.CSTNode | None = None



def _is_module(value: Any) -> bool:
    return isinstance(value, (LayerValue, ProjModule)) or (isinstance(value, Chain) and value.sequential)



def _to_json(value: Any) -> Any:
    """A plain constant (or UNKNOWN) as JSON keeps it: tuples and lists tagged, so they come back apart."""
    if isinstance(value, tuple):
        return {"tuple": [_to_json(item) for item in value]}
    if isinstance(value, list):
        return {"list": [_to_json(item) for item in value]}
    return {"unknown": True} if value is UNKNOWN else value


def _from_json(value: Any) -> Any:
    """``_to_json``'s inverse; anything else (an entry another version wrote) is UNKNOWN."""
    if isinstance(value, dict):
        if isinstance(value.get("tuple"), list):
            return tuple(_from_json(item) for item in value["tuple"])
        if isinstance(value.get("list"), list):
            return [_from_json(item) for item in value["list"]]
        return UNKNOWN
    return value if _plain(value) else UNKNOWN


def _plain_constant(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain_constant(item) for item in value)
    return value is None or isinstance(value, (int, float, str, bool))


def _numeric(value: Any) -> bool:
    return isinstance(value, Sym) or _numeric_const(value)


def _numeric_const(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str, bool))


def _is_same(left: Any, right: Any) -> bool | None:
    """``left is right`` where it can be told (only comparisons with None)."""
    for a, b in ((left, right), (right, left)):
        if b is None:
            if a is None:
                return True
            if isinstance(a, (LayerClass, LayerValue, Chain, FuncRef, ClassRef, ProjModule, Tensor, str, int, float, tuple, dict)):
                return False
            return None
    return None


def _truth(value: Any) -> bool | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return bool(value)
    if isinstance(value, (LayerClass, LayerValue, FuncRef, ClassRef, ProjModule, Tensor)):
        return None if isinstance(value, Tensor) else True
    if isinstance(value, tuple):
        return bool(value)
    if isinstance(value, Chain):
        return None if GAP in value.items or (value.items and all(_absent_elsewhere(i) for i in value.items)) \
            else bool(value.items)
    return None


def _concrete_items(value: Any) -> tuple[Any, ...] | None:
    """The items of a tuple or of a list of modules known item by item (its length, each index)."""
    items = splat_items(value)
    return None if items is None or any(_absent_elsewhere(item) for item in items) else items


def splat_items(value: Any) -> tuple[Any, ...] | None:
    """What ``nn.Sequential(*value)`` runs: ``_concrete_items``, and also a list holding layers that other
    paths leave out (each keeps the shape of its input: running it or not, what follows sees the same)."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, Chain) and GAP not in value.items and not value.sequential:
        return value.items
    return None


def _absent_elsewhere(item: Any) -> bool:
    return isinstance(item, LayerValue) and item.absent_elsewhere


def _open(chain: Chain | None) -> Chain | None:
    """The chain after unknown further changes."""
    if chain is None:
        return None
    if chain.items and chain.items[-1] is GAP:
        return chain if chain.fills is None else replace(chain, fills=None)
    return Chain(chain.items + (GAP,), Tensor(), chain.sequential, None, chain.module_list)


def _open_loop(chain: Chain | None) -> Chain | None:
    """The chain at the start of a loop's body that may append to it: unknown items, the tail before
    the loop (what the first iteration applies its modules to; the join after the body keeps what
    every iteration count agrees on)."""
    if chain is None or (chain.items and chain.items[-1] is GAP):
        return chain
    # (the gap holds what the body appends: the join after the body adds those to ``fills``)
    return Chain(chain.items + (GAP,), chain.tail, chain.sequential, () if GAP not in chain.items else chain.fills,
                 chain.module_list)


@dataclass(frozen=True)
class Each:
    """An iterable of unknown length whose every item is ``item`` (``zip(self.convs, self.bns)`` over
    lists filled in one loop)."""

    item: Any


def any_item(value: Any) -> Any:
    """The module at any position of a list of modules, when every module it may hold was built by one
    call (``self.bns.append(nn.BatchNorm2d(c))`` in a loop): that layer, its arguments kept where all
    its builds agree; UNKNOWN otherwise."""
    if not isinstance(value, Chain):
        return UNKNOWN
    if GAP in value.items and value.fills is None:
        return UNKNOWN
    candidates = [item for item in value.items if item is not GAP] + list(value.fills or ())
    if not candidates or not all(isinstance(c, LayerValue) for c in candidates):
        return UNKNOWN
    first = candidates[0]
    if any(c.node is not first.node for c in candidates):
        return UNKNOWN
    if all(c is first for c in candidates):
        return first
    values = {k: v for k, v in first.values.items() if all(_agree(c.values.get(k, UNKNOWN), v) for c in candidates)}
    return replace(first, values=values, site=None if any(c.site is not first.site for c in candidates) else first.site)


def _agree(a: Any, b: Any) -> bool:
    return a is b or (type(a) is type(b) and (_plain(a) or isinstance(a, Sym)) and a == b)


def one_of(values: list[Any]) -> Any:
    """Any one of ``values`` (a dict read with a key not known here): the value when they all agree; for
    layer classes of one kind built alike (``{2: nn.Conv2d, 3: nn.Conv3d}[dims]``), that kind with the
    ranks left unknown (its bias, widths and BatchNorm-ness hold whichever it is); else UNKNOWN."""
    if not values:
        return UNKNOWN
    first = values[0]
    if all(value == first for value in values[1:]):
        return first
    if not all(isinstance(value, LayerClass) and value.preset == first.preset for value in values):
        return UNKNOWN
    specs = [value.spec for value in values]
    alike = ("kind", "params", "in_width", "out_width", "defaults", "features", "layout_param", "doubles_with",
             "transparent")
    if any(getattr(spec, column) != getattr(specs[0], column) for spec in specs for column in alike):
        return UNKNOWN
    ranks = {spec.out_rank for spec in specs}
    merged = replace(specs[0], name="/".join(dict.fromkeys(spec.name for spec in specs)), in_ranks=None,
                     out_rank=ranks.pop() if len(ranks) == 1 else None, batched_rank=None)
    return LayerClass(merged, first.preset)


def item_at(chain: Chain, index: int) -> Any:
    """``chain[index]`` when no gap comes before it (``layers[0]``, or ``layers[-1]`` with none after)."""
    items = chain.items
    if not -len(items) <= index < len(items):
        return UNKNOWN
    position = index % len(items)
    between = items[:position] if index >= 0 else items[position + 1:]  # (the items counted to reach it)
    if GAP in between or items[position] is GAP:
        return UNKNOWN
    return items[index]


def _self_chain(receiver: cst.BaseExpression, frame: Any) -> Chain | None:
    """The chain held by ``self.attr`` (``receiver``) while a class is built, if it holds one."""
    if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == "self"):
        return None
    state = frame.self_state
    value = state.attrs.get(receiver.attr.value) if state is not None else None
    return value if isinstance(value, Chain) else None


def _jumps(body: cst.BaseSuite) -> bool:
    for node in walk(body):
        if isinstance(node, (cst.Break, cst.Continue, cst.Return, cst.Yield)):
            return True
    return False


def _merge_tensor(a: Tensor, b: Tensor) -> Tensor:
    if a == b:
        return a
    rank = a.rank if a.rank == b.rank else None
    sizes = {x: w for x, w in a.sizes if (x, w) in b.sizes}
    same_producer = a.producer is b.producer
    return make_tensor(rank, sizes, a.feat if a.feat == b.feat else None, a.producer if same_producer else None,
                       a.direct and b.direct and same_producer, a.origin if a.origin is b.origin else None)


def _with_rank(t: Tensor, rank: int) -> Tensor:
    return make_tensor(rank, dict(t.sizes), t.feat, t.producer, t.direct, t.origin)


def _flatten(t: Tensor, start: Any, end: Any, node: cst.CSTNode) -> Tensor:
    if not isinstance(start, int) or isinstance(start, bool) or end != -1 or start < 0:
        return Tensor()
    rank = start + 1
    sizes = {x: w for x, w in t.sizes if 0 <= x < start}
    if t.rank is not None and start == t.rank - 1:
        sizes[start] = t.size(-1)
    keep = t.feat is not None and t.rank is not None and t.feat < start
    return make_tensor(rank, sizes, t.feat if keep else None, t.producer if keep else None, False, node)


def _concat(parts: tuple[Any, ...] | None, dim: Any, node: cst.CSTNode) -> Tensor:
    if not parts or not all(isinstance(p, Tensor) for p in parts) or not isinstance(dim, int) or isinstance(dim, bool):
        return Tensor()
    if dim == 1 and len(parts) > 1 and all(p.producer is not None and p.producer.spec.kind == "embedding" for p in parts):
        # embeddings side by side on dim 1: of per-sample ids (a recommender's user and item, (N, E)
        # each), as token embeddings are joined on their last dim: the rank the table gave is a guess
        return Tensor()
    ranks = {p.rank for p in parts}
    rank = ranks.pop() if len(ranks) == 1 else None
    if dim == 1 or (rank is not None and dim % rank == 1 and -rank <= dim < rank):
        total: Any = 0
        for p in parts:
            total = sym_add(total, p.size(1)) if is_width(p.size(1)) else UNKNOWN
            if total is UNKNOWN:
                break
        return make_tensor(rank, {1: total}, 1, None, False, node)
    return make_tensor(rank, {}, None, None, False, node)



def _b_int(args: list[Any], kwargs: dict[str, Any]) -> Any:
    return sym_int(args[0]) if len(args) == 1 and not kwargs else UNKNOWN


def _b_range(args: list[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return UNKNOWN
    try:
        values = range(*args)
        return tuple(values) if len(values) <= 256 else UNKNOWN
    except (ValueError, OverflowError):  # a zero step; longer than sys.maxsize
        return UNKNOWN


def _b_len(args: list[Any], kwargs: dict[str, Any]) -> Any:
    items = _concrete_items(args[0]) if len(args) == 1 else None
    return len(items) if items is not None else UNKNOWN


def _b_tuple(args: list[Any], kwargs: dict[str, Any]) -> Any:
    items = _concrete_items(args[0]) if len(args) == 1 else None
    return tuple(items) if items is not None else UNKNOWN


def _b_list(args: list[Any], kwargs: dict[str, Any]) -> Any:
    items = _concrete_items(args[0]) if len(args) == 1 and not kwargs else () if not args and not kwargs else None
    return Chain(tuple(items), Tensor()) if items is not None else UNKNOWN


def _b_zip(args: list[Any], kwargs: dict[str, Any]) -> Any:
    columns = [_concrete_items(a) for a in args]
    if kwargs or not columns:
        return UNKNOWN
    if any(c is None for c in columns):
        items = [_each(a) for a in args]
        return UNKNOWN if any(i is UNKNOWN for i in items) else Each(tuple(items))
    return tuple(zip(*columns))  # type: ignore[arg-type]


def _b_enumerate(args: list[Any], kwargs: dict[str, Any]) -> Any:
    items = _concrete_items(args[0]) if len(args) == 1 and not kwargs else None
    if items is None and len(args) == 1 and not kwargs and _each(args[0]) is not UNKNOWN:
        return Each((UNKNOWN, _each(args[0])))
    return tuple(enumerate(items)) if items is not None else UNKNOWN


def _each(value: Any) -> Any:
    """What every item of ``value`` is, if one thing (an ``Each``, or a list of one layer's builds)."""
    return value.item if isinstance(value, Each) else any_item(value)


def _b_minmax(name: str):
    def run(args: list[Any], kwargs: dict[str, Any]) -> Any:
        if kwargs or len(args) < 2:
            return UNKNOWN
        if all(_numeric_const(a) for a in args):
            return (max if name == "max" else min)(args)
        return sym_opaque(name, *args)
    return run


_BUILTINS = {
    "int": _b_int, "range": _b_range, "len": _b_len, "tuple": _b_tuple, "list": _b_list, "max": _b_minmax("max"),
    "zip": _b_zip, "enumerate": _b_enumerate,
    "min": _b_minmax("min"), "round": lambda a, k: sym_opaque("round", *a) if len(a) == 1 and not k else UNKNOWN,
}
