"""What the chain analysis shows about each BatchNorm: the BN2xx verdicts, shared by BN201-BN204.

Each verdict is computed once per file (:func:`verdicts_of`) and each
rule picks its own code. Every verdict rests on facts the code fixes: a rank
the interpreter knows, two widths that are provably different, a bias that is
certainly on.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import libcst as cst

from bn_lint.semantic.shapes.values import LayerValue, Observation, Tensor
from bn_lint.semantic.shapes.words import (
    Verdict, _applied, _rank_source, _ranks, _short, _via, _where, describe_bn, describe_producer,
)
from bn_lint.semantic.evaluators.call_binding import given_values
from bn_lint.semantic.evaluators.record_fields import record_fields
from bn_lint.semantic.shapes.producers import chains_of
from bn_lint.semantic.knowledge.layers import BATCHNORM_NAMES
from bn_lint.semantic.shapes.width_slips import width_slip
from bn_lint.semantic.syntax.constants import UNKNOWN, Sym, is_width, show_width, widths_differ, widths_equal

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, NodeFix
    from bn_lint.semantic.shapes.sequence_feeds import SequenceFeed

_VARIANT_FOR_RANK = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}


def verdicts_of(model: "FileModel") -> list[Verdict]:
    """The BN2xx verdicts of ``model``'s file, computed once per file."""
    return model.analysis(verdicts)


def verdicts(model: "FileModel") -> list[Verdict]:
    from bn_lint.semantic.file.model import NodeFix

    analysis = chains_of(model)
    out: list[Verdict] = []
    seen: set[tuple[str, cst.CSTNode]] = set()
    helper_fed: dict[cst.CSTNode, list[Observation]] = {}  # layers helpers build, fed to a BatchNorm at some call

    def add(verdict: Verdict) -> None:
        key = (verdict.code, verdict.node)
        if key not in seen:
            seen.add(key)
            out.append(verdict)

    for node, observations in analysis.observations.items():
        for obs in observations:
            verdict = _shape_verdict(model, obs, NodeFix)
            if verdict is not None:
                add(verdict)
            width = _width_verdict(model, obs, NodeFix) if verdict is not None and verdict.code == "BN202" else None
            if width is not None:  # (`BatchNorm2d(512)` on the (N, 256) of a Linear: the variant and the width)
                add(width)
            # a wrong width does not make the bias useful, nor does a wrong variant over the producer's channels
            # (BatchNorm1d after a Conv2d: the right BatchNorm2d cancels the bias all the same); a wrong layout does
            wrong_variant_on_channels = verdict is not None and verdict.code == "BN202" and obs.tensor.feat == 1 \
                and obs.tensor.rank is not None
            if (verdict is None or verdict.code == "BN201" or wrong_variant_on_channels) and obs.tensor.direct:
                bias = _bias_verdict(model, obs, NodeFix)
                if bias is not None:
                    add(bias)
                elif obs.tensor.producer is not None and obs.tensor.producer.site is not None \
                        and obs.bn.site in (None, obs.tensor.producer.site):
                    # a helper's layer fed to a BatchNorm its caller builds, or that the same call of it builds
                    # (`def conv(i, o, bias=True)` building Conv then BatchNorm, run for one call's arguments)
                    helper_fed.setdefault(obs.tensor.producer.node, []).append(obs)
    direct = {feed.obs.bn.node for feed in analysis.sequence_feeds if feed.obs.via is None}
    for feed in analysis.sequence_feeds:  # (one per layer: seen in its own forward, else through a caller)
        if feed.obs.via is None or feed.obs.bn.node not in direct:
            add(_sequence_feed_verdict(model, feed))
    for producer_node, fed in helper_fed.items():
        bias = _helper_bias_verdict(model, fed)
        if bias is not None:
            add(bias)
    return out


def _sequence_feed_verdict(model: "FileModel", feed: "SequenceFeed") -> Verdict:
    """BN203: a BatchNorm1d whose 3-D input a ``batch_first`` consumer then reads as (N, L, E)."""
    obs, t = feed.obs, feed.obs.tensor
    shape = ", ".join(show_width(t.size(axis)) if is_width(t.size(axis)) else "?" for axis in range(3))
    what = f"a ({shape}) tensor" if t.rank == 3 else "its input"
    node = obs.at if obs.at is not None and obs.via is None else obs.bn.node
    consumer = feed.consumer.spec.name
    return Verdict("BN203", node,
                   f"{describe_bn(model, obs.bn)} normalises dim 1 of {what}, which "
                   f"{consumer}(batch_first=True){_where(model, feed.at or feed.consumer.node)} then reads as "
                   f"(N, L, E){_applied(model, obs)}: it normalises over the sequence axis, not the features; transpose to (N, E, L) "
                   f"around it, or normalise the features with BatchNorm1d(E) on (N*L, E) or LayerNorm")


def _helper_bias_verdict(model: "FileModel", fed: list[Observation]) -> Verdict | None:
    """BN204 for a biased layer a helper function builds (``def conv(i, o): return nn.Conv1d(i, o, 3)``)
    when every call of the helper, in this file and no other, feeds a BatchNorm directly; or, when the
    helper's parameter sets the bias (``bias=bias``), at the calls that feed one (KAIR's ``conv(...,
    bias=True, mode="CBR")`` beside ``conv(..., mode="C")``)."""
    producer = fed[0].tensor.producer
    assert producer is not None
    if producer.spec.kind not in ("conv", "linear"):
        return None
    helper = next((a for a in model.ancestors(producer.node) if isinstance(a, cst.FunctionDef)), None)
    if helper is None or model.functions.get(helper.name.value) is not helper:
        return None
    name = helper.name.value
    calls = [site.node for site in model.calls if isinstance(site.node.func, cst.Name) and site.node.func.value == name]
    uses = [n for n in model.nodes_of(model.module, cst.Name) if n.value == name
            and not (isinstance(model.parent(n), cst.Attribute) and model.parent(n).attr is n)]  # (not `self.conv`)
    if not calls or len(uses) != len(calls) + 1:  # (+1: the def's own name) passed around or aliased: not followed
        return None
    for obs in fed:
        bn, instance = obs.bn, obs.tensor.producer
        if (bn.value("affine") is not True or bn.optional or instance is None or instance in chains_of(model).escaped
                or instance.value("bias") is not True or (bn.spec.in_ranks and obs.tensor.rank is not None and obs.tensor.feat != 1)):
            return None
    fed_calls = [call for call in calls if id(call) in {id(obs.tensor.producer.site) for obs in fed}]
    bias = producer.args.get("bias")
    chosen = isinstance(bias, cst.Name) and bias.value in {p.name.value for p in helper.params.params}
    if len(fed_calls) != len(calls) and not chosen:
        return None
    if model.project is not None and model.project.mentioned_beside(model.path, name):
        return None  # another file of the package may call it without a BatchNorm after
    bn = fed[0].bn
    if len(fed_calls) != len(calls):
        lines = ", ".join(str(model.line_of(call)) for call in fed_calls)
        return Verdict("BN204", producer.node,
                       f"{producer.spec.name}(...) gets bias=True from the calls of {name}() on line{'s' * (len(fed_calls) > 1)} "
                       f"{lines}, which feed {describe_bn(model, bn)}{_where(model, bn.node)} directly: the BatchNorm's "
                       f"mean subtraction cancels it; pass bias=False there")
    return Verdict("BN204", producer.node,
                   f"{producer.spec.name}(...) "
                   f"{'has a bias (bias=True at each call)' if chosen else 'has a bias (bias=True is the default)'}"
                   f" and, at each call of {name}(), "
                   f"feeds {describe_bn(model, bn)}{_where(model, bn.node)} directly: the BatchNorm's mean subtraction "
                   f"cancels it; use bias=False")


def _shape_verdict(model: "FileModel", obs: Observation, NodeFix: Any) -> Verdict | None:
    bn, t = obs.bn, obs.tensor
    spec = bn.spec
    ranks = spec.in_ranks
    width = bn.value(spec.in_width)
    # BN202: the rank is known and the variant does not take it
    if ranks and t.rank is not None and t.rank not in ranks:
        source = _rank_source(model, t)
        right = _VARIANT_FOR_RANK.get(t.rank)
        fix = None
        func = bn.node.func
        if right and bn.plain and isinstance(func, cst.Attribute) and func.attr.value in BATCHNORM_NAMES:
            fix = NodeFix(f"use {right}", [(func.attr, cst.Name(right))])
        hint = f"; use {right}" if right else ""
        return Verdict("BN202", bn.node,
                       f"{describe_bn(model, bn)} expects a {_ranks(ranks)} input but gets a {t.rank}-D tensor "
                       f"{source}{hint}{_via(model, bn)}".replace(" ;", ";"), fix)
    if ranks and 2 not in ranks and t.rank is None and t.feat == -1 and t.producer is not None:
        return Verdict("BN202", bn.node,
                       f"{describe_bn(model, bn)} follows {t.producer.spec.name}{_where(model, t.producer)}, whose "
                       f"features are on the last axis, not on dim 1 of a {_ranks(ranks)} tensor; use BatchNorm1d"
                       f"{_via(model, bn)}")
    # BN203: BatchNorm1d(E) on (N, L, E)
    features_last = widths_equal(width, t.size(2)) or t.feat == 2
    if ranks == (2, 3) and t.rank == 3 and features_last and not widths_equal(width, t.size(1)):
        source = _rank_source(model, t)
        last = show_width(t.size(2)) if is_width(t.size(2)) else "E"
        # where the layout is wrong: the call, if there is one, unless the layout comes from outside its
        # function (the module applied to a (N, L, E) input: `model(torch.randn(B, L, E))`): then the layer
        node = obs.at if obs.at is not None and obs.via is None else bn.node
        return Verdict("BN203", node,
                       f"{describe_bn(model, bn)} is applied to a (N, L, {last}) tensor {source}{_applied(model, obs)}: it "
                       f"normalises over dim 1 (L), not over the features; transpose to (N, E, L) "
                       f"first, reshape to (N*L, E), or use LayerNorm{_via(model, bn)}")
    found = _width_verdict(model, obs, NodeFix)
    if found is not None:
        return found
    ref = _reference_width(t)
    if is_width(width) and is_width(ref) and (isinstance(width, Sym) or isinstance(ref, Sym)):
        last = t.size(2) if ranks == (2, 3) and t.rank == 3 and is_width(t.size(2)) else None
        given = _defaults_in_use(model, width, ref, *([] if last is None else [last]))
        if given is not None:
            (a, b, *c), names = given
            if c and a == c[0] != b:  # BN203 under the defaults: `BatchNorm1d(n_channels)` on view(-1, L, N_CHANNELS)
                return Verdict("BN203", obs.at or bn.node,
                               f"{describe_bn(model, bn)} is applied to a (N, {b}, {a}) tensor {_rank_source(model, t)}"
                               f" with the defaults {names}, which no call in this file overrides: it normalises "
                               f"over dim 1 (L), not over the features; transpose to (N, E, L) first, reshape to "
                               f"(N*L, E), or use LayerNorm")
            if a != b:
                producer = t.producer
                what = (f"follows {describe_producer(model, producer, ref)}{_where(model, producer)}"
                        if producer is not None and t.feat is not None else f"gets {show_width(ref)} channels")
                return Verdict("BN201", bn.node, f"{describe_bn(model, bn)} {what}: {a} against {b} with the "
                                                 f"defaults {names}, which no call in this file overrides")
    return width_slip(model, bn, t, width, ref)



def _reference_width(t) -> Any:
    """The channel width a BatchNorm fed ``t`` is compared with: dim 1 where the rank or that axis is known, the
    last axis of a features-last producer, else unknown."""
    if t.rank is not None or any(axis == 1 for axis, _ in t.sizes):
        return t.size(1)
    return t.size(-1) if t.feat == -1 else UNKNOWN


def _width_verdict(model: "FileModel", obs: Observation, NodeFix: Any) -> Verdict | None:
    """BN201 when the BatchNorm's width and the channels it gets provably differ (also beside a BN202 on the same
    layer: fixing the variant alone still fails on the width)."""
    bn, t = obs.bn, obs.tensor
    width = bn.value(bn.spec.in_width)
    ref = _reference_width(t)
    if is_width(width) and is_width(ref) and widths_differ(width, ref, chains_of(model).positive):
        if t.producer is not None and t.feat is not None and (t.producer.out_width is not UNKNOWN or t.producer.spec.is_batchnorm or t.producer.spec.kind == "norm"):
            what = f"follows {describe_producer(model, t.producer, ref)}{_where(model, t.producer)}"
            if t.producer.site is not None and t.producer.site is not bn.site:
                what += f" (built by {_short(model, t.producer.site)}{_where(model, t.producer.site)})"
        else:
            what = f"gets {show_width(ref)} channels {_rank_source(model, t)}".rstrip()
        fix = _width_fix(model, bn, t, ref, NodeFix)
        return Verdict("BN201", bn.node, f"{describe_bn(model, bn)} {what}{_via(model, bn)}", fix)
    return None

def _defaults_in_use(model: "FileModel", *widths: Any) -> tuple[list[int], str] | None:
    """The widths with every parameter at its default (and the defaults used, for the message), when each
    is a positive int and the function (or class) they belong to is called nowhere in this file: the
    defaults are what it builds."""
    defaults = chains_of(model).defaults
    atoms = set().union(*(w.atoms() for w in widths if isinstance(w, Sym)))
    if not atoms or not atoms <= defaults.keys():
        return None
    for atom in atoms:
        param, _, entry = atom.partition("@")
        entry = entry.partition(".")[2]  # `cfg@<id>.out_dim`: the entry of an annotated settings class
        passed = given_values(model, defaults[atom][1], param)
        if entry and any(target.attr.value == entry.rpartition(".")[2] and not (isinstance(target.value, cst.Name)
                                                             and target.value.value == "self")
                         for target, _value, _scope in model.attribute_assignments):
            return None  # `cfg.out_dim = 256` somewhere in this file: the declared default may not hold
        if passed is None:
            return None  # a method: called on instances, with arguments this file may not show
        if any(not given.default and not (entry and _keeps_entry(model, given, entry, defaults[atom][0]))
               for given in passed):
            return None  # a call gives it (or may: an unknown `**kwargs`)
    values = []
    for width in widths:
        if not isinstance(width, Sym):
            values.append(width)
            continue
        total = Fraction(0)
        for monomial, coefficient in width.terms.items():
            term = Fraction(coefficient)
            for atom in monomial:
                term *= defaults[atom][0]
            total += term
        if total.denominator != 1:
            return None
        values.append(int(total))
    names = ", ".join(sorted(f"{_shown(atom)}={defaults[atom][0]}" for atom in atoms))
    return values, names


def _shown(atom: str) -> str:
    """``hidden`` for ``hidden@<id>``, ``cfg.out_dim`` for ``cfg@<id>.out_dim``."""
    param, _, rest = atom.partition("@")
    entry = rest.partition(".")[2]
    return f"{param}.{entry}" if entry else param


def _keeps_entry(model: "FileModel", given: Any, entry: str, default: int) -> bool:
    """Whether a call gives the settings parameter a record built where the code shows it (``Config()``)
    that leaves ``entry`` at its declared default (or gives that same number)."""
    if given.value is None:
        return False
    fields = record_fields(model, given.value, given.scope, entry)
    return bool(fields) and all(owner.value(expr, where) == default for owner, expr, where in fields)


def _bias_verdict(model: "FileModel", obs: Observation, NodeFix: Any) -> Verdict | None:
    bn, t = obs.bn, obs.tensor
    producer = t.producer
    if producer is None or producer.spec.kind not in ("conv", "linear"):
        return None
    if producer in chains_of(model).escaped:
        return None  # its output is used elsewhere too (or may be): the bias matters there
    if bn.site is not None or producer.site is not None:
        # seen only for one call site's arguments, or the producer is built by a helper that other
        # call sites use without a BatchNorm after it: `bias=False` there is not certainly right
        return None
    if bn.value("affine") is not True or bn.optional:
        return None
    if bn.spec.in_ranks and t.rank is not None and t.feat != 1:
        return None
    if producer.value("bias") is not True:
        return None
    fix = None
    if producer.plain and "bias" not in producer.preset:
        expr = producer.args.get("bias")
        if expr is None:
            call = producer.node
            args = list(call.args)
            if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new_arg = cst.Arg(value=cst.Name("False"), keyword=cst.Name("bias"),
                              equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            fix = NodeFix("set bias=False", [(call, call.with_changes(args=[*args, new_arg]))])
        elif isinstance(expr, cst.Name) and expr.value == "True":
            fix = NodeFix("set bias=False", [(expr, cst.Name("False"))])
    return Verdict("BN204", producer.node,
                   f"{producer.spec.name}(...) {'has bias=True' if 'bias' in producer.args else 'has a bias (bias=True is the default)'} and feeds "
                   f"{describe_bn(model, bn)}{_where(model, bn.node)} directly: the BatchNorm's mean subtraction "
                   f"cancels it; use bias=False{_via(model, bn)}", fix)


def _width_fix(model: "FileModel", bn: LayerValue, t: Tensor, ref: Any, NodeFix: Any) -> "NodeFix | None":
    target = bn.args.get(bn.spec.in_width or "")
    producer = t.producer
    if target is None or not bn.plain or producer is None or not t.feat == 1:
        return None
    param = producer.spec.out_width if producer.spec.out_width not in (None, "same") else producer.spec.in_width
    source = producer.args.get(param or "")
    if source is None:
        return None
    if isinstance(source, cst.Integer) and isinstance(ref, int):
        return NodeFix(f"use num_features={ref}", [(target, cst.Integer(str(ref)))])
    if isinstance(source, cst.Name) and source.value in bn.env and widths_equal(bn.env[source.value], ref):
        return NodeFix(f"use num_features={source.value}", [(target, cst.Name(source.value))])
    return None


