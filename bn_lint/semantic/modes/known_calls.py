"""What known calls do to a module's mode: tables of torch / library calls and methods."""
from __future__ import annotations

import re
import sys

import libcst as cst

from bn_lint.semantic.nn_modules.bearing import DETECTORS
from bn_lint.semantic.knowledge.model_readers import MODEL_READERS
from bn_lint.semantic.knowledge.wrappers import SAME_MODULE
from .eval_names import eval_named
from .keys import _PASSTHROUGH, _called_name, key_parent
from .state import State


# a module's own methods, by name, that run it on data (its layers, BatchNorm among them): `model.features(x)`,
# `model.get_audio_embedding(x)`, `net.extract_feat(img)`, `model.encode(x)`, `model.inference(x)`
RUN_METHOD = re.compile(r"(?i)(?:get_|extract_|compute_)?(?:\w+_)?(?:features?|feats?|embeddings?|embed|encode|decode|"
                        r"inference|infer|predict|predictions?|logits)(?:_\w+)?")
_SAFE_METHODS = _PASSTHROUGH | frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "state_dict", "load_state_dict", "zero_grad",
    "update_parameters",  # (torch.optim.swa_utils.AveragedModel: averages the weights it is given)
    "modules", "named_modules", "children", "named_children", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_buffer", "register_parameter", "add_module", "get_submodule",
    "get_parameter", "extra_repr", "__repr__", "numel", "size", "keys", "items", "values", "get", "update",
    # list / dict / set methods (`self.history.append(metrics)`): they hold data, not modes
    "append", "extend", "insert", "pop", "remove", "clear", "add", "discard", "setdefault", "sort", "count", "index",
})
_WRAPPERS = SAME_MODULE  # (the module they are given, in its mode: knowledge/wrappers)
_LOADED = frozenset({"torch.load", "torch.jit.load"})
# Methods that may change a module's mode.
_MODE_SETTERS = frozenset({"eval", "train", "apply", "requires_grad_"})
# Copies of a module, in the mode it has at the copy.
_COPIES = frozenset({"copy.deepcopy", "copy.copy", "torch.optim.swa_utils.AveragedModel",
                     # quantization steps: a fused / prepared / converted copy (or the model, inplace=True)
                     "torch.ao.quantization.fuse_modules", "torch.quantization.fuse_modules",
                     "torch.ao.quantization.fuse_modules_qat", "torch.ao.quantization.prepare",
                     "torch.quantization.prepare", "torch.ao.quantization.prepare_qat",
                     "torch.quantization.prepare_qat", "torch.ao.quantization.convert", "torch.quantization.convert"})
# Functions ``model.apply(fn)`` runs on every submodule that never switch a mode
_MODE_KEEPING_APPLIED = frozenset({
    "torch.ao.nn.intrinsic.qat.freeze_bn_stats", "torch.ao.nn.intrinsic.qat.update_bn_stats",
    "torch.nn.intrinsic.qat.freeze_bn_stats", "torch.nn.intrinsic.qat.update_bn_stats",
    "torch.ao.quantization.disable_observer", "torch.ao.quantization.enable_observer",
    "torch.ao.quantization.disable_fake_quant", "torch.ao.quantization.enable_fake_quant",
    "torch.quantization.disable_observer", "torch.quantization.enable_observer",
    "torch.quantization.disable_fake_quant", "torch.quantization.enable_fake_quant",
})
# Callees that receive a model without changing its mode.
_SAFE_CALLEES = frozenset({
    "print", "len", "isinstance", "type", "id", "str", "repr", "hasattr", "getattr", "setattr", "delattr", "sum",
    "enumerate", "zip", "iter", "reversed", "sorted",
    "list", "tuple",
    # builtins that run no code of what they are given (`range(self.class_nb)`, `int(self.n)`)
    "range", "int", "float", "bool", "complex", "abs", "round", "divmod", "pow", "hash", "format", "dict", "set",
    "frozenset", "any", "all", "min", "max", "slice", "callable", "issubclass", "vars", "dir", "chr", "ord",
    "torch.save", "torch.jit.trace", "torch.onnx.export", "torch.export.export", "torch.jit.script",
    "torch.jit.trace_module", "torch.onnx.dynamo_export", "torch.fx.symbolic_trace",
    "logging.info",
    "functools.partial",  # (binds its arguments; what it runs later is followed where it runs: given_callables)
    "torch.optim.swa_utils.update_bn",  # (puts the model in train mode and back in the mode it found)
}) | _WRAPPERS | _COPIES | MODEL_READERS
# Methods of training helpers that take a model and never switch its mode, by the name of the helper
# object (`accelerator.accumulate(model)`, `fabric.backward(loss)`): HF Accelerate, Lightning Fabric.
_LOG_METHODS = frozenset({"info", "debug", "warning", "warn", "error", "critical", "exception", "log"})
_HELPER_METHODS = {
    "accelerator": frozenset({"accumulate", "autocast", "backward", "clip_grad_norm_", "clip_grad_value_",
                              "unwrap_model", "prepare", "prepare_model", "no_sync", "gather", "gather_for_metrics",
                              "reduce", "pad_across_processes", "save_model", "get_state_dict", "print", "log",
                              "save", "wait_for_everyone"}),
    "fabric": frozenset({"setup", "setup_module", "backward", "clip_gradients", "no_backward_sync", "autocast",
                         "all_gather", "all_reduce", "save", "print", "log", "log_dict", "barrier", "to_device"}),
    # a logger printing the model (`self.logger.info(self.model)`): its repr, not a run
    "logger": _LOG_METHODS,
    "log": _LOG_METHODS,
}


def _helper_keeps_modes(func: cst.BaseExpression) -> bool:
    """``self.accelerator.accumulate(model)``: a known training helper's method that leaves modes alone."""
    if not isinstance(func, cst.Attribute):
        return False
    owner = func.value.attr.value if isinstance(func.value, cst.Attribute) else getattr(func.value, "value", None)
    return isinstance(owner, str) and func.attr.value in _HELPER_METHODS.get(owner.lower().lstrip("_"), ())


# what a function that reloads the weights of a module it is given is called (`load_checkpoint(path, model)`)
_LOADING = re.compile(r"(?i)load|restore|checkpoint|ckpt|weights")  # (not `resume`: `resume_training(model)`)
_DEPLOYING = re.compile(r"(?i)deploy|export")  # (with evaluation words, `load_for_inference`: it may set eval)


# what a function that only attaches something to a module it is given, or reads it, is called
# (`set_inference_progress_callback(model, cfg)`, `register_hooks(model)`, `count_parameters(model)`)
_ATTACHING = re.compile(r"(?i)callback|hook|count_?param|num_?param|param(?:eter)?s?_?count|logger|^log_|^watch$")


def only_attaches(func: cst.BaseExpression) -> bool:
    """By its name, a function that attaches a callback, a hook or a logger to a module it is given, or
    counts its parameters: it leaves the module's mode alone."""
    return _ATTACHING.search(_called_name(func)) is not None  # (`set_inference_progress_callback`: still only that)


# a model's method that loads trained weights into it, by its name: ``load_state_dict``, a project's
# ``load_weights(path)`` (Darknet's reader of a weights file), ``load_pretrained``, ``restore_checkpoint``,
# ``load_weights_from_pkl`` (what it loads, then where from); not ``save_checkpoint``, ``load_data``
OWN_WEIGHTS_LOADER_NAME = r"(?:load|restore)_?\w*?(?:weights?|pretrained|checkpoint|ckpt|params|parameters)(?:_from_\w+)?"
_OWN_WEIGHTS_LOADER = re.compile(r"(?i)(?:load_state_dict|" + OWN_WEIGHTS_LOADER_NAME + ")")


# a function named for loading weights into the module it is given: ``load_checkpoint_parallel(net, path)``,
# ``restore_weights(model, ckpt)`` (the pre-filter's pattern of BN101 and the flow's candidates: ``gives_weights``)
WEIGHTS_LOADER_NAME = r"(?:load|restore)\w*(?:weights?|pretrained|checkpoint|ckpt)\w*"
_WEIGHTS_LOADER = re.compile(r"(?i)" + WEIGHTS_LOADER_NAME)


def gives_weights(call: cst.Call, qn: str | None) -> bool:
    """``load_checkpoint(net, path)``: a function (not torch's own ``torch.load``) named for loading weights, given
    a name (a model whose weights it loads: evidence of an inference run)."""
    return not (qn or "").startswith("torch.") and _WEIGHTS_LOADER.fullmatch(_called_name(call.func)) is not None \
        and any(isinstance(arg.value, cst.Name) for arg in call.args if not arg.star)


def loads_own_weights(method: str) -> bool:
    """``model.load_state_dict(sd)``, ``model.load_weights(path)``: by its name, a method that loads trained
    weights into the model it is called on (evidence of an inference run, RULES.md)."""
    return _OWN_WEIGHTS_LOADER.fullmatch(method) is not None


def loads_weights(func: cst.BaseExpression) -> bool:
    """``load_checkpoint(path, model)``, ``model_io.restore(model, path)``: by its name, a function that
    loads weights into a module it is given and leaves its mode alone (as ``load_state_dict`` does)."""
    called = _called_name(func)
    return _LOADING.search(called) is not None and not eval_named(called) and _DEPLOYING.search(called) is None


#: libraries whose callables only observe a model they are given (saliency and attribution methods
#: hooking its layers: ``GradCAM(model, "layer4")``, ``IntegratedGradients(model)``); not
#: pytorch_grad_cam, whose ``BaseCAM`` calls ``model.eval()`` itself
_OBSERVING_LIBRARIES = ("torchcam.", "captum.attr.")


def _keeps_modes(qn: str | None) -> bool:
    """torch.nn constructors (``nn.Linear(model.fc.in_features, 3)``), ``nn.init`` and ``nn.functional``,
    and the observing libraries' callables: they never switch a module given to them to train or eval."""
    if qn and qn.startswith(_OBSERVING_LIBRARIES):
        return True
    if qn and qn.count(".") == 1 and qn.startswith("torch.") and qn not in ("torch.compile", "torch.load") \
            and qn[len("torch."):].islower():
        return True  # `torch.zeros(2, n, model.hidden_size)`, `torch.cat(...)`: a tensor function
    if not qn or not qn.startswith("torch.nn."):
        return False
    rest = qn[len("torch.nn."):]
    return rest.startswith(("init.", "functional.")) or ("." not in rest and rest[:1].isupper())


# standard-library modules that run code they are given (a thread's target, a partial's function): not known
# to leave a module's mode alone
_STDLIB_RUNNERS = frozenset({"threading", "multiprocessing", "concurrent", "asyncio", "functools", "itertools",
                             "operator", "contextlib", "unittest", "types", "inspect", "importlib", "runpy", "code",
                             "pdb", "copy", "builtins", "sched", "atexit", "signal", "weakref"})


def _standard_library(qn: str | None, func: cst.BaseExpression) -> bool:
    """``glob.glob(pattern)``, ``os.path.join(root, model.name)``, ``"{}".format(model.name)``: a function of the
    standard library that runs no code it is given, or a method of a string literal."""
    if isinstance(func, cst.Attribute) and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString,
                                                                   cst.FormattedString)):
        return True
    root = qn.split(".")[0] if qn else None
    return root is not None and "." in qn and root in sys.stdlib_module_names and root not in _STDLIB_RUNNERS


def keeps_given_modes(qn: str | None, func: cst.BaseExpression) -> bool:
    """Whether a call of ``func`` (qualified name ``qn``) is known to leave the modes of the modules given to it
    as they are: builtins and torch functions that read or save them (``str(model)``, ``torch.save``), torch.nn
    constructors, the standard library's and numpy's functions that run no code given to them (``glob.glob``,
    ``np.arange``), helpers named for what they do (loading weights, counting parameters, attaching hooks)."""
    return qn in _SAFE_CALLEES or (isinstance(func, cst.Name) and func.value in _SAFE_CALLEES) or _keeps_modes(qn) \
        or qn is not None and qn.startswith("numpy.") \
        or _standard_library(qn, func) or _helper_keeps_modes(func) or loads_weights(func) or only_attaches(func)


_NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                      "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})
#: a module's tensors and where they live: a method called on one (``bn.running_mean.copy_(...)``,
#: ``conv.weight.data.normal_()``) or an argument read from one (``x.to(model.device)``) changes no module's mode
_TENSOR_ATTRIBUTES = frozenset({"weight", "bias", "running_mean", "running_var", "num_batches_tracked", "data", "grad",
                                "device", "dtype"})
# what a module's attribute of this name holds is no submodule: the optimizer, scheduler or gradient scaler a model that
# trains itself keeps (`self.optimizer.step()` changes no mode)
TRAINING_TOOLS = re.compile(r"(?i)(?:\w+_)?(?:optim|optimi[sz]er|opt|scheduler|lr_scheduler|sched|scaler|grad_scaler)s?")


def _in_place_tensor_op(method: str) -> bool:
    """``mul_``, ``add_``, ``copy_``, ``lerp_``: an in-place tensor method (a module's only in-place
    method, ``requires_grad_``, is handled before this is asked)."""
    return method.endswith("_") and not method.startswith("_") and method != "requires_grad_"


_CONTAINERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList"}) | DETECTORS  # (those hold their backbone)
_INDEXED_MODE_CHANGE = re.compile(r"\]\s*(?:\.\w+\s*)*\.(?:eval|train|apply|requires_grad_?)\b")  # `model[0].eval()`
# export function -> (index of the positional argument holding the model, the name of that parameter)
_EXPORTS = {
    "torch.onnx.export": (0, "model"),
    "torch.jit.trace": (0, "func"),
    "torch.jit.trace_module": (0, "mod"),
    "torch.export.export": (0, "mod"),
    "torch.ao.quantization.fuse_modules": (0, "model"),
    "torch.quantization.fuse_modules": (0, "model"),
    "torch.ao.quantization.convert": (0, "module"),
    "torch.quantization.convert": (0, "module"),
    "torch.nn.utils.fusion.fuse_conv_bn_eval": (1, "bn"),
    "torch.nn.utils.fuse_conv_bn_eval": (1, "bn"),
    "torch.fx.experimental.optimization.fuse": (0, "model"),
    # compilers to an inference engine: they trace the module as it is (TensorRT, coremltools)
    "torch_tensorrt.compile": (0, "module"),
    "torch2trt.torch2trt": (0, "module"),
    "coremltools.convert": (0, "model"),
}
EXPORTS = _EXPORTS
# export methods of a module (Lightning's LightningModule.to_onnx / to_torchscript): they export their receiver
#: a model's own methods that export it, or fold its BatchNorm into its convolutions (torchvision's quantizable
#: models and the quantization tutorials' ``fuse_model()``: fusion for eval, unless ``is_qat=True``)
EXPORT_METHODS = frozenset({"to_onnx", "to_torchscript", "fuse_model"})
_BATCHNORM_TEST = re.compile(r"BatchNorm|_NormBase")


def _is_module_call(func: cst.BaseExpression, key: str, state: State) -> bool:
    """``model(x)`` / ``self.model(x)`` / ``self.nets['feat'](x)`` / a tracked ``model.backbone(x)``; not
    ``model.method()``."""
    if key in state:
        return True
    if isinstance(func, cst.Subscript):  # (an entry of a dict or list that `self` holds, or a parameter: `config['net']`)
        return key.startswith(("self.", "self[")) and "self" in state or key_parent(key) in state
    if isinstance(func, cst.Attribute):
        if func.attr.value in _SAFE_METHODS or func.attr.value in ("eval", "train", "forward", "apply"):
            return False
        return isinstance(func.value, cst.Name) and func.value.value == "self" and "self" in state
    return False


def text_value(value: cst.BaseExpression) -> bool:
    """Whether ``value`` is text: a string literal, an f-string, ``"..." % x``, ``"...".format(x)``."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Modulo):
        return isinstance(value.left, (cst.SimpleString, cst.ConcatenatedString))
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "format" \
        and isinstance(value.func.value, (cst.SimpleString, cst.ConcatenatedString))


def _hub_builds_train(call: cst.Call) -> bool:
    """``torch.hub.load(repo, entry)`` of a literal repo whose entry points build models as constructors
    do, in training mode (torchvision's, most research repos'); not those known to return eval-mode
    wrappers (ultralytics' AutoShape)."""
    first = call.args[0].value if call.args else None
    return isinstance(first, cst.SimpleString) and not str(first.evaluated_value).startswith(_HUB_EVAL_REPOS)


_HUB_EVAL_REPOS = ("ultralytics/",)


def _torchvision_hub(call: cst.Call) -> bool:
    """``torch.hub.load("pytorch/vision", ...)``: torchvision's builders, in training mode."""
    first = call.args[0].value if call.args else None
    return isinstance(first, cst.SimpleString) and first.evaluated_value.startswith("pytorch/vision")
