"""How a model's output is read: predictions (argmax), images to look at, shapes, dummy inputs."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .synthetic_runs import synthetic

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import ModeAnalysis


_SHAPE_ATTRS = frozenset({"shape", "size", "numel", "dim", "ndim", "ndimension", "dtype", "device"})
IMAGE_SINKS = frozenset({"torchvision.utils.save_image", "torchvision.utils.make_grid", "matplotlib.pyplot.imshow",
                          "matplotlib.pyplot.imsave"})
IMAGE_METHODS = frozenset({"add_image", "add_images"})  # a summary writer's: `writer.add_image(tag, grid, step)`
# calls that give the array or tensor they are given in another type (the picture stays the same)
_CONVERSIONS = frozenset({"torch.from_numpy", "torch.as_tensor", "torch.tensor", "numpy.asarray", "numpy.array",
                          "numpy.uint8", "numpy.clip", "numpy.transpose", "numpy.squeeze"})
_DERIVED_NAMES = 8  # names assigned from the output on its way to a picture, followed at most
_DATA_SINKS = frozenset({"numpy", "tolist"})  # tensor methods whose result is no tensor: the output read out
# functions that write what they are given to a file: an output saved is read out as data
_FILE_WRITERS = frozenset({"torch.save", "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt",
                           "pickle.dump", "joblib.dump", "h5py.File.create_dataset"})

# tensor methods that keep the scores' classes in place on the way to an argmax (`out.squeeze(0).argmax()`)
_SAME_CLASSES = frozenset({"detach", "cpu", "cuda", "to", "float", "squeeze", "softmax", "log_softmax", "sigmoid", "exp"})


class OutputReads:
    """A part of the mode analysis (``analysis.output_reads``): how a model call's output is read."""

    def __init__(self, analysis: "ModeAnalysis") -> None:
        self.analysis = analysis

    def predicts(self, call: cst.CSTNode) -> bool:
        """``model(x).argmax(1)``, ``torch.max(model(x), 1)``, or ``out = model(x)`` read that way (also
        ``out = model(x).squeeze(0)``: through the calls ``_argmax_of`` walks up)."""
        if self._argmax_of(call):
            return True
        parent = self.analysis.model.parent(self._same_values(call))
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)):
            return False
        name = parent.targets[0].target.value
        scope_node = self.analysis.enclosing_function(call) or self.analysis.model.module
        return any(isinstance(n, cst.Name) and n.value == name and n is not parent.targets[0].target
                   and self._argmax_of(n) for n in self.analysis.model.nodes_of(scope_node, cst.Name))

    def visualised(self, call: cst.CSTNode) -> bool:
        """``save_image(G(z), ...)``, or ``fake = G(z).detach().cpu()`` then ``make_grid(fake)`` (or a
        writer's ``add_image``) later in the function, also through names assigned from it on the way
        (``arr = fake.numpy()``, ``make_grid(torch.from_numpy(arr))``): the output is made to be looked at."""
        return self._reaches(call, "image")

    def read_out(self, call: cst.CSTNode) -> bool:
        """``fake = G(z)`` then ``data.append(act(fake).detach().cpu().numpy())``: the output leaves torch as
        data (``.numpy()``, ``.tolist()``, written to a file: ``torch.save(out, path)``), also through names
        assigned from it or from a call given it."""
        return self._reaches(call, "data")

    def read_as_number(self, call: cst.CSTNode) -> bool:
        """``losses[i] = objective(model(x), y).item()``: the output, or a loss or metric computed from it, is read
        out as a Python number."""
        return self._reaches(call, "number")

    def tensor_handed_out(self, call: cst.CSTNode) -> bool:
        """Whether the output, or a tensor computed from it, is given back (not as a number: ``.item()``)."""
        return self._reaches(call, "tensor")

    def handed_out(self, call: cst.CSTNode) -> bool:
        """``out = model(x)`` then ``return postprocess(out).numpy()``: the output (or what is computed from it)
        is what its function gives back."""
        return self._reaches(call, "return")

    def _reaches(self, call: cst.CSTNode, sink_kind: str) -> bool:
        model = self.analysis.model
        sink, assigned = self._read_as(call, sink_kind)
        if sink:
            return True
        names, at = [assigned] if assigned else [], self.analysis.order(call)
        scope_node = self.analysis.enclosing_function(call) or model.module
        seen = set(names)
        while names and len(seen) <= _DERIVED_NAMES:
            name = names.pop()
            for use in model.nodes_of(scope_node, cst.Name):
                if use.value != name or self.analysis.order(use) <= at or isinstance(model.parent(use), cst.AssignTarget):
                    continue
                sink, derived = self._read_as(use, sink_kind)
                if sink:
                    return True
                if derived and derived not in seen:
                    seen.add(derived)
                    names.append(derived)
        return False

    def _read_as(self, node: cst.CSTNode, sink_kind: str = "image") -> tuple[bool, str | None]:
        """Where the value of ``node`` goes, through ``.detach()``, ``.cpu()``, ``.data``, ``[:64]``,
        ``.view(...)`` and conversions (``torch.from_numpy``): (given to an image sink, the one name it
        is assigned to)."""
        model = self.analysis.model
        parent = model.parent(node)
        while True:
            held = _collection_holding(model, node, parent)
            if held is not None:  # (`outs.append(out)`, `[net(o) for o in obs]`, `for ac in actions`)
                return False, held
            if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "data" \
                    or isinstance(parent, cst.Subscript) and parent.value is node:
                node, parent = parent, model.parent(parent)
            elif isinstance(parent, (cst.ListComp, cst.GeneratorExp, cst.SetComp)) and parent.elt is node:
                node, parent = parent, model.parent(parent)  # (the collection of the outputs: its elements)
            elif isinstance(parent, cst.Attribute) and parent.value is node and isinstance(model.parent(parent), cst.Call):
                if sink_kind == "data" and parent.attr.value in _DATA_SINKS \
                        or sink_kind == "number" and parent.attr.value == "item":
                    return True, None
                if sink_kind == "tensor" and parent.attr.value == "item":
                    return False, None  # (a number from here on: no tensor a caller could take a backward of)
                node = model.parent(parent)
                parent = model.parent(node)
            elif isinstance(parent, cst.Arg) and sink_kind == "image" and self._image_sink(model.parent(parent)):
                return True, None
            elif isinstance(parent, cst.Arg) and sink_kind == "data" and isinstance(model.parent(parent), cst.Call) \
                    and model.qualname(model.parent(parent).func) in _FILE_WRITERS:
                return True, None  # `torch.save(output, path)`: written to a file
            elif isinstance(parent, cst.Arg) and sink_kind in ("data", "return", "tensor", "number") \
                    and isinstance(model.parent(parent), cst.Call):
                node = model.parent(parent)  # `torch.tanh(fake)`, `self._apply_activate(fake)`: a function of it
                parent = model.parent(node)
            elif isinstance(parent, cst.Arg) and isinstance(model.parent(parent), cst.Call) \
                    and model.qualname(model.parent(parent).func) in _CONVERSIONS:
                node = model.parent(parent)
                parent = model.parent(node)
            elif sink_kind in ("return", "tensor") and isinstance(parent, (cst.Tuple, cst.List)) and isinstance(node, cst.Element):
                node, parent = parent, model.parent(parent)
            elif sink_kind in ("return", "tensor") and isinstance(parent, cst.Element):
                node = parent
                parent = model.parent(parent)
            elif sink_kind in ("number", "data") and isinstance(parent, cst.Element) \
                    and isinstance(model.parent(parent), (cst.Tuple, cst.List)) \
                    and isinstance(model.parent(model.parent(parent)), cst.Arg):
                node = model.parent(parent)  # (`torch.cat((d[0], f[0]))`: a tensor built of it, read on)
                parent = model.parent(node)
            else:
                break
        if sink_kind in ("return", "tensor") and isinstance(parent, cst.Return):
            return True, None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
            return False, parent.targets[0].target.value
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is node \
                and isinstance(parent.targets[0].target, (cst.Tuple, cst.List)) and parent.targets[0].target.elements \
                and isinstance(parent.targets[0].target.elements[0].value, cst.Name):
            return False, parent.targets[0].target.elements[0].value.value  # (`fake, attn1, attn2 = G(z)`: the first)
        return False, None

    def _image_sink(self, call: cst.CSTNode | None) -> bool:
        if not isinstance(call, cst.Call):
            return False
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in IMAGE_METHODS:
            return True
        return self.analysis.model.qualname(call.func) in IMAGE_SINKS

    def _argmax_of(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` (through ``.data`` / ``.detach()`` / ``.squeeze(0)`` / ``.softmax(1)``) is what an
        argmax / top-k / max over a dim reads."""
        model = self.analysis.model
        node = self._same_values(node)
        parent = model.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = model.parent(parent)
            if not (isinstance(call, cst.Call) and call.func is parent):
                return False
            if parent.attr.value in ("argmax", "topk"):
                return True
            return parent.attr.value == "max" and len(call.args) >= 1
        if isinstance(parent, cst.Arg) and not parent.keyword:
            call = model.parent(parent)
            if not isinstance(call, cst.Call) or call.args[0] is not parent:
                return False
            qn = model.qualname(call.func)
            return qn in ("torch.argmax", "torch.topk") or (qn == "torch.max" and len(call.args) >= 2)
        return False

    def _same_values(self, node: cst.CSTNode) -> cst.CSTNode:
        """The outermost of ``node``'s ``.data`` and pass-through calls that keep its values' classes
        (``model(x).detach().squeeze(0)``, ``.cpu()``, ``.softmax(1)``: ``_SAME_CLASSES``)."""
        model = self.analysis.model
        parent = model.parent(node)
        while True:
            if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "data":
                node, parent = parent, model.parent(parent)
                continue
            up = model.parent(parent) if isinstance(parent, cst.Attribute) else None
            if (isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in _SAME_CLASSES
                    and isinstance(up, cst.Call) and up.func is parent):
                node, parent = up, model.parent(up)
                continue
            return node

    def shape_probe(self, call: cst.CSTNode) -> bool:
        """``model(dummy).shape`` / ``out = model(dummy)`` read only for sizes: not an evaluation."""
        parent = self.analysis.model.parent(call)
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return parent.attr.value in _SHAPE_ATTRS
        if isinstance(parent, cst.Arg) and isinstance(self.analysis.model.parent(parent), cst.Call):
            outer = self.analysis.model.parent(parent)
            return isinstance(outer.func, cst.Name) and outer.func.value == "len"
        assign = parent
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)):
            return False
        name = assign.targets[0].target.value
        scope_node = self.analysis.enclosing_function(call) or self.analysis.model.module
        uses = [n for n in self.analysis.model.nodes_of(scope_node, cst.Name) if n.value == name
                and n is not assign.targets[0].target]
        if not uses:
            return False
        for use in uses:
            up = self.analysis.model.parent(use)
            if isinstance(up, cst.Attribute) and up.value is use and up.attr.value in _SHAPE_ATTRS:
                continue
            if isinstance(up, cst.Arg) and isinstance(self.analysis.model.parent(up), cst.Call):
                outer = self.analysis.model.parent(up)
                if isinstance(outer.func, cst.Name) and outer.func.value == "len":
                    continue
            return False
        return True

    def dummy_input(self, call: cst.CSTNode) -> bool:
        """``net(torch.randn(1, 3, 32, 32))``: a smoke test of the model, not an evaluation of data."""
        if call in self.analysis.synthetic_runs:
            return True  # (another file's helper runs the model on synthetic input: ``synthetic_runs``)
        if not isinstance(call, cst.Call) or not call.args:
            return False
        return all(synthetic(self.analysis.model, arg.value, call) for arg in call.args)


_COLLECTING = frozenset({"append", "extend", "add"})


def _collection_holding(model, node: cst.CSTNode, parent: cst.CSTNode | None) -> str | None:
    """The name of what holds ``node``'s value from here on: the list it is appended to (``outs.append(out)``),
    or the loop target over it (``for ac in actions``, ``[ac.numpy() for ac in actions]``): a collection of
    outputs holds outputs."""
    if isinstance(parent, cst.Arg) and not parent.keyword:
        call = model.parent(parent)
        func = call.func if isinstance(call, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value in _COLLECTING and isinstance(func.value, cst.Name):
            return func.value.value
        return None
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node and isinstance(parent.target, cst.Name):
        return parent.target.value
    return None


def detached(model, call: cst.CSTNode) -> bool:
    """Whether the output of ``call`` is detached at once (``model(x)[0].detach()``, ``model(x).detach()``): no
    gradient reaches the module, so the loop around it trains something else (a linear probe on frozen features)."""
    node = call
    for _ in range(3):
        parent = model.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr.value == "detach":
            return isinstance(model.parent(parent), cst.Call)
        if not isinstance(parent, (cst.Subscript, cst.SubscriptElement, cst.Index)) or parent is None:
            return False
        node = parent
    return False
