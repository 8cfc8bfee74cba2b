"""BN102 eval-not-called."""
from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.knowledge.deliberate import batch_statistics_by_design
from bn_lint.semantic.project.train_overrides import mode_ignored
from bn_lint.semantic.file.model import FileModel, NodeFix, Report, Scope
from bn_lint.semantic.evaluations.module_holders import holds_module, module_attribute
from ..semantic.modes import TRAIN, ModeAnalysis

_MODE_METHODS = ("eval", "train")


# code BN102 must flag, with the line of each finding
INVALID = (
    Invalid(  # an override that drops its mode: `model.eval()` is `self.train(False)`, which trains again
        """
        import torch.nn as nn

        class Detector(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

            def train(self, mode=True, freeze_bn=False):
                super().train()
                if freeze_bn:
                    self.backbone.eval()
                return self
        """,
        line=9,
    ),
    Invalid(  # evaluated, then "put back" in training with the flag alone: the BatchNorm layers stay in eval
        """
        import torchvision

        net = torchvision.models.resnet18()
        net.eval()
        validate(net)
        net.training = True
        train_one_epoch(net)
        """,
        line=6,
    ),
    Invalid(  # a trainer's teacher, given as a parameter and called like a module
        """
        import torch

        class Distiller:
            def __init__(self, teacher, student):
                self.teacher = teacher.to("cuda")
                self.teacher.training = False
                self.student = student

            def step(self, x):
                with torch.no_grad():
                    soft = self.teacher(x)
                return self.student(x), soft
        """,
        line=6,
    ),
    Invalid(  # a model from a registry of partially applied classes
        """
        from functools import partial
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, width, depth):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, width, 3, bias=False), nn.BatchNorm2d(width))

        REGISTRY = {"small": partial(Net, 16, 2), "large": partial(Net, 64, 4)}
        model = REGISTRY["small"]()
        model.training = False
        """,
        line=11,
    ),
    Invalid(
        """
        import torch

        def evaluate(model, loader):
            model.eval
            with torch.no_grad():
                return [model(x) for x, _ in loader]
        """,
        line=4,
    ),
    Invalid("net.train\n", line=1),
    Invalid(  # the module DistributedDataParallel wraps
        """
        import torch.nn as nn
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)))
        net = model.module
        net.training = False
        """,
        line=6,
    ),
    Invalid(  # every call gives `evaluate` a module: one unpacked from a builder's tuple, trained since
        """
        import torch
        import torch.nn as nn

        def evaluate(model, batch):
            model.training = False
            with torch.no_grad():
                return model(batch).argmax(1)

        def setup(lr):
            model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
            return model, torch.optim.SGD(model.parameters(), lr=lr)

        model, opt = setup(0.1)
        model.train()
        print(evaluate(model, torch.randn(2, 4)))
        """,
        line=5,
    ),
    Invalid(
        """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(8)

            def freeze(self):
                self.training = False
        """,
        line=9,
    ),
    Invalid(
        """
        import torchvision

        net = torchvision.models.resnet18()
        net.training = False
        """,
        line=4,
    ),
    Invalid(
        """
        import torch
        import torchvision

        def embed(model, images):
            model.training = False
            with torch.no_grad():
                return model(images)

        backbone = torchvision.models.resnet50()
        features = embed(backbone, torch.randn(4, 3, 224, 224))
        """,
        line=5,
    ),
    Invalid(  # no caller in this file, but the function runs `encoder` and puts it back in training mode
        """
        import torch

        def knn_features(encoder, loader):
            encoder.training = False
            with torch.no_grad():
                feats = [encoder(x) for x, _ in loader]
            encoder.train()
            return torch.cat(feats)
        """,
        line=4,
    ),
    Invalid(  # a part of the model, in an override of train(): its BatchNorm layers still train
        """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.frontend = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8))

            def train(self, mode=True):
                super().train(mode)
                self.frontend.training = False
                return self
        """,
        line=10,
    ),
)

# code BN102 must not flag
VALID = (
    Valid(  # the override passes its mode on
        """
        import torch.nn as nn

        class Detector(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

            def train(self, mode=True, freeze_bn=False):
                super().train(mode)
                if freeze_bn:
                    self.backbone.eval()
                return self
        """
    ),
    Valid(  # the flag set on a model that is in training mode on every path: nothing is lost (pytorch-retinanet)
        """
        import torchvision

        retinanet = torchvision.models.resnet50()
        retinanet = retinanet.cuda()
        retinanet.training = True
        for epoch in range(10):
            retinanet.train()
            train_one_epoch(retinanet)
        """
    ),
    Valid(  # every BatchNorm normalises with the batch in both modes: the flag changes nothing for them
        """
        import torch.nn as nn

        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8, track_running_stats=False))
        model.training = False
        """
    ),
    Valid("model.eval()\nmodel.train()\nmodel.train(False)\n"),
    Valid("fn = model.eval\nfn()\n"),
    Valid(
        """
        import torch.nn as nn

        class Net(nn.Module):
            def train(self, mode=True):
                self.training = mode
                for m in self.children():
                    m.train(mode)
                return self
        """
    ),
    Valid(
        """
        class Trainer:
            def stop(self):
                self.training = False
        """
    ),
    Valid("args.training = False\n"),
    Valid(  # a part that is not a module
        """
        class Runner:
            def __init__(self, cfg):
                self.opts = cfg.opts

            def stop(self):
                self.opts.training = False
        """
    ),
    Valid(
        """
        import argparse

        def configure(options):
            options.training = False
            return options

        configure(argparse.Namespace(lr=0.1))
        """
    ),
    Valid("import torch\nstate = torch.optim.SGD([], lr=0.1)\nstate.training = False\n"),
    Valid(  # an environment object with a `training` flag: never called, no module methods
        """
        def rollout(env, policy):
            env.training = False
            obs = env.reset()
            return policy(obs)
        """
    ),
)


class EvalNotCalled(Rule):
    code = "BN102"
    name = "eval-not-called"
    severity = Severity.ERROR
    fixable = True
    summary = ("`model.eval` / `model.train` without parentheses, `model.training = False`, or a `train()` override "
               "that drops its `mode`.")
    what = """
        Flags a statement that only names the method (`model.eval`, `model.train`) without
        calling it, an assignment to `.training` on an `nn.Module`, which changes the flag
        of that one module but not of its submodules, and a module's `train(self, mode=True, ...)`
        override that calls `super().train()` without its `mode`: `eval()` is `train(False)`, so
        `model.eval()` on that class puts it back in training mode.
    """
    why = """
        `model.eval` evaluates to a bound method and is thrown away: the model stays in training
        mode, BatchNorm keeps using batch statistics and updating its running averages, and
        dropout stays on. No error is raised. `model.training = False` only flips the top-level
        flag; every BatchNorm layer inside still has `training=True`.
    """
    example = """
        model.eval
        with torch.no_grad():
            accuracy = evaluate(model, loader)
    """
    fix_docs = """
        Call the method: `model.eval()` (or `model.train()`); replace `model.training = False` with
        `model.eval()` and `model.training = True` with `model.train()`. `--fix` adds the parentheses.
    """
    use_instead = """
        model.eval()
        with torch.no_grad():
            accuracy = evaluate(model, loader)
    """
    references = (
        ('`torch.nn.Module.eval` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval'),
        ('`torch.nn.Module.train` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train'),
    )
    # `.eval` / `.train` not followed by a call, or an assignment to `.training`
    # a statement that ends right after `.eval` / `.train` (comments are blanked before the search)
    # (or a module's `train(self, mode, ...)` override, which may drop its mode: `mode_ignored`)
    triggers = (r"(?m)\.(?:eval|train)[ \t\r)\\]*(?:;|$)", r"\.training\s*=(?!=)", r"def\s+train\s*\(\s*self\s*,")
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        if batch_statistics_by_design(model):
            return  # (every BatchNorm here normalises with the batch in both modes: the mode changes nothing)
        for statement, _scope in model.attribute_statements:
            attribute = statement.value
            if isinstance(attribute, cst.Attribute) and attribute.attr.value in _MODE_METHODS:
                call = cst.Call(func=attribute)
                target = model.code(attribute.value)
                yield Report(
                    statement,
                    f"`{target}.{attribute.attr.value}` is not called: the model's mode does not change; "
                    f"write `{target}.{attribute.attr.value}()`",
                    fix=NodeFix(f"call `{target}.{attribute.attr.value}()`", [(attribute, call)]),
                )
        yield from _mode_ignored(model)
        for target, value, scope in model.attribute_assignments:
            if target.attr.value != "training":
                continue
            if isinstance(target.value, cst.Attribute):  # `self.frontend.training = False`
                report = self._report(model, target, value, scope) if module_attribute(model, target.value, scope) else None
                if report is not None:
                    yield report
                continue
            if not isinstance(target.value, cst.Name):
                continue
            if target.value.value != "self":
                report = self._report(model, target, value, scope) if holds_module(model, target.value, scope) else None
                if report is not None:
                    yield report
                continue
            if scope.kind != "function" or scope.name in ("train", "eval"):
                continue
            info = model.enclosing_class(scope)
            if info is None or not model.is_nn_module_class(info):
                continue
            flag = model.value(value, scope)
            if flag is not True and flag is not False:
                continue
            if (flag is True and scope.name == "__init__") or _switched_before(model, target, scope, flag):
                continue  # (the default of a new module, or the flag of a switch `super().train()` just made)
            method = "eval()" if flag is False else "train()"
            yield Report(
                target,
                f"`self.training = {flag}` changes only this module's flag, not its submodules' "
                f"(BatchNorm layers keep their mode); call `self.{method}`",
            )

    @staticmethod
    def _report(model: FileModel, target: cst.Attribute, value: cst.BaseExpression, scope: Scope):
        """``module.training = flag``, with a fix that calls ``eval()`` / ``train()`` instead."""
        flag = model.value(value, scope)
        if flag is not True and flag is not False:
            return None
        facts = model.analysis(ModeAnalysis).run().slip_modes.get(target) if flag else None
        if facts and {f.mode for f in facts} == {TRAIN}:
            return None  # (`net.training = True` on a model in training mode on every path: nothing is lost)
        owner = model.code(target.value)
        method = "eval()" if flag is False else "train()"
        call = cst.Call(func=cst.Attribute(value=target.value, attr=cst.Name(method[:-2])))
        statement = model.parent(target)
        statement = model.parent(statement) if isinstance(statement, cst.AssignTarget) else statement
        fix = None
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
            fix = NodeFix(f"call `{owner}.{method}`", [(statement, cst.Expr(call))])
        return Report(
            target,
            f"`{owner}.training = {flag}` changes only the top module's flag, not its submodules' "
            f"(BatchNorm layers keep their mode); call `{owner}.{method}`",
            fix=fix,
        )


def _mode_ignored(model: FileModel) -> Iterable[Report]:
    """The module classes whose ``train()`` override drops its mode (``train_overrides.mode_ignored``)."""
    for info in model.classes.values():
        found = mode_ignored(info) if "train" in info.methods and model.is_nn_module_class(info) else None
        if found is None:
            continue
        mode, node = found
        fix = NodeFix(f"pass `{mode}` on", [(node, node.with_changes(args=[cst.Arg(cst.Name(mode))]))])
        yield Report(
            node,
            f"`{info.name}.train()` ignores its `{mode}` and calls `{model.code(node)}`, which puts the module "
            f"in training mode: `eval()` is `train(False)`, so `eval()` on this class leaves every "
            f"BatchNorm in training mode; pass `{mode}` on",
            fix=fix,
        )


def _switched_before(model: FileModel, target: cst.Attribute, scope: Scope, flag: bool) -> bool:
    """Whether the function around ``self.training = flag`` switched the whole module to that mode before it
    (``super().train(); self.training = True``): the assignment repeats what the switch set."""
    if scope.node is None:
        return False
    last = None
    for call in model.nodes_of(scope.node, cst.Call):
        func = call.func
        if model.order(call) < model.order(target) and isinstance(func, cst.Attribute) \
                and func.attr.value in ("train", "eval") and (model.code(func.value) == "self" or (
                    isinstance(func.value, cst.Call) and model.code(func.value.func) == "super")):
            last = call
    if last is None:
        return False
    if last.func.attr.value == "eval":
        return flag is False
    given = model.value(last.args[0].value, scope) if last.args else True
    return given is flag
