"""Library functions that run the module they are given on the input they are given, and leave its mode.

FLOPs counters, profilers and graph drawers trace or hook one forward pass (``thop.profile(model,
inputs=(x,))``, ``torchprofile.profile_macs(model, x)``): a run of the module in the mode it has.
One row per callable: where its module and its input are passed (position, keyword). Counters that
put the module in eval themselves (ptflops, torchinfo's default mode) are not rows.
"""
from __future__ import annotations

from typing import NamedTuple

import libcst as cst


class Runner(NamedTuple):
    module_at: int
    module_keyword: str
    input_at: int
    input_keyword: str


RUNNERS = {
    "thop.profile": Runner(0, "model", 1, "inputs"),
    "torchprofile.profile_macs": Runner(0, "model", 1, "args"),
    "fvcore.nn.FlopCountAnalysis": Runner(0, "model", 1, "inputs"),
    "fvcore.nn.flop_count": Runner(0, "model", 1, "inputs"),
    "fvcore.nn.ActivationCountAnalysis": Runner(0, "model", 1, "inputs"),
    "hiddenlayer.build_graph": Runner(0, "model", 1, "args"),
}
#: library calls that put the module they are given in eval mode and leave it there: the module's position and
#: keyword (pyhessian's ``hessian(model, criterion, data=...)``: ``self.model = model.eval()`` in its constructor)
EVAL_SETTERS = {
    "pyhessian.hessian": (0, "model"),
    "pyhessian.hessian.hessian": (0, "model"),
}
#: what the code of a file that may run a module on one sample holds (the pre-filter's patterns): a runner's
#: name, a tensor made with a first size of 1, a first slice of one
PROBE_TRIGGERS = (r"\b(?:profile|profile_macs|FlopCountAnalysis|flop_count|ActivationCountAnalysis|build_graph|add_graph)\(",
                  r"\b(?:zeros|ones|randn|rand|empty|Tensor|FloatTensor)\(\s*[\[(]?\s*1\s*[,\])]", r"\[\s*0?\s*:\s*1\s*\]")
#: a method that runs the module it is given (``SummaryWriter.add_graph(model, x)``), by its name
RUNNER_METHODS = {"add_graph": Runner(0, "model", 1, "input_to_model")}


def runner_arguments(qn: str | None, call: cst.Call) -> tuple | None:
    """(the module, the input) a runner's call passes, or None when ``call`` is no runner's or lacks one."""
    func = call.func
    runner = RUNNERS.get(qn or "")
    if runner is None and isinstance(func, cst.Attribute):
        runner = RUNNER_METHODS.get(func.attr.value)
    if runner is None:
        return None
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}

    def argument(at: int, keyword: str):
        return positional[at] if at < len(positional) else keywords.get(keyword)

    module, given = argument(runner.module_at, runner.module_keyword), argument(runner.input_at, runner.input_keyword)
    return None if module is None or given is None else (module, given)


TENSOR_FACTORIES = frozenset(f"torch.{name}" for name in ("randn", "rand", "zeros", "ones", "empty", "Tensor",
                                                           "FloatTensor"))


def probe_site(qn: str | None, call: cst.Call) -> bool:
    """By its text alone, a call that may run a module on one sample: a runner's, a tensor factory whose first
    size is a literal 1 (``torch.zeros(1, 3, 32, 32)``, ``torch.randn([1] + shape)``), or a call given a first
    slice of one (``net(x[:1])``)."""
    if runner_arguments(qn, call) is not None:
        return True
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if not positional:
        return False
    first = positional[0]
    if qn in TENSOR_FACTORIES:
        while isinstance(first, cst.BinaryOperation):
            first = first.left
        if isinstance(first, (cst.List, cst.Tuple)) and first.elements:
            first = first.elements[0].value
        return isinstance(first, cst.Integer) and first.value == "1"
    if isinstance(first, cst.Subscript) and len(first.slice) == 1 and isinstance(first.slice[0].slice, cst.Slice):
        upper = first.slice[0].slice.upper
        return isinstance(upper, cst.Integer) and upper.value == "1"
    return False


def module_put_in_eval(qn: str | None, call: cst.Call) -> cst.BaseExpression | None:
    """The module a call of an ``EVAL_SETTERS`` callable puts in eval, or None."""
    where = EVAL_SETTERS.get(qn or "")
    if where is None:
        return None
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if where[0] < len(positional):
        return positional[where[0]]
    return next((a.value for a in call.args if a.keyword is not None and a.keyword.value == where[1]), None)
