"""BN105 frozen-bn-still-updating: the docs, the examples (:mod:`.invalid`, :mod:`.valid`) and a check that
reads :mod:`bn_lint.semantic.freezing.watch`, :mod:`~bn_lint.semantic.freezing.lightning`,
:mod:`~bn_lint.semantic.freezing.reset_by_train` and :mod:`~bn_lint.semantic.freezing.builder_freeze`."""
from __future__ import annotations

import os
from typing import Iterable

from ...finding import Severity
from ...rule import Rule
from bn_lint.semantic.freezing.builder_freeze import builder_freezes
from bn_lint.semantic.freezing.lightning import lightning_freezes
from bn_lint.semantic.freezing.reset_by_train import FreezeResets
from bn_lint.semantic.freezing.watch import EvalUndone, FreezeEvalUndone, frozen_in_training
from bn_lint.semantic.modes.keys import key_root
from bn_lint.semantic.modes.optimizers import builds_optimizer, given_parts
from bn_lint.semantic.file.model import FileModel, Report
from ...semantic.modes import ModeAnalysis
from .invalid import INVALID
from .valid import VALID


def _given_a_part(model: FileModel, found) -> bool:
    """Whether the optimizer at ``found.node`` is given parts of the frozen model (else it leaves the whole out)."""
    return key_root(found.key) in {key_root(part) for part in given_parts(model, found.node) or ()}


def _name(model: FileModel) -> str:
    return os.path.basename(model.path)


class FrozenBnStillUpdating(Rule):
    code = "BN105"
    name = "frozen-bn-still-updating"
    severity = Severity.WARNING
    reports_in_other_files = True  # (in the helper of another file that the checked one calls)
    summary = "Frozen BatchNorm (requires_grad=False) still in training mode, or its eval undone by `.train()`."
    what = """
        Flags freezing a BatchNorm-bearing module (`m.requires_grad_(False)`, or
        `p.requires_grad = False` for every parameter in `m.parameters()`) when a later training
        step of the model runs with that module in training mode (e.g. `model.train()` at the top
        of the loop and no `.eval()` on the frozen part, and no overridden `train()`); and a
        submodule put in eval on its own (to freeze its BatchNorm), directly or by a
        `for m in model.modules(): if isinstance(m, nn.BatchNorm2d): m.eval()` loop (also inside a
        helper function, or a method of the model's class such as `model.freeze_bn()`, in this file
        or another), whose eval is undone by a later `model.train()` before training, also the one a
        training helper starts with (`train_one_epoch(model)`: reported at its `.train()`). A module
        put in a container (`model = nn.Sequential(encoder, head)`) or wrapped (`DDP(net)`) follows
        the container's `.train()`; so does one frozen by a builder function that returns it, alone
        or in a container, to a caller that trains the result. A freeze made by a function, method,
        static method, builder or constructor of another file (`encoder.fine_tune(False)` whose
        method sets `p.requires_grad = enabled`, `backbone = ModelUtils.freeze(Net())`) is followed
        from the call and reported at the freezing statement in that file. A LightningModule that freezes a
        BatchNorm part (in `__init__` or a hook) and never puts it back in eval is flagged too:
        Lightning calls `.train()` before each epoch. A pretrained model that no optimizer of the
        file is given (only built with or loaded with trained weights, wrapped, put in a mode and
        run) is frozen by being left out: run in training mode in the training step of another
        network (a fixed feature or disparity network feeding a trained head), it is reported at
        the optimizer that leaves it out. The freezing is followed through the calls the
        code makes (constructors whose `__init__` freezes, flags such as `freeze_bn=True` or
        `requires_grad=False` given to a helper, methods of a class whose `__init__` froze a part,
        `trainer.fit(model)`, the methods of an object holding the frozen part, any number of
        `self.method()` calls deep), each loop walked twice so a `.train()` at the top of the next epoch is
        seen. A frozen part run without gradients (under `no_grad`, or its output `.detach()`ed) in
        training mode in such a loop counts too; a trainer's `train(self)`, which takes no mode, is its
        training loop, not `nn.Module.train`. A builder that freezes a BatchNorm model with `requires_grad = False` and returns it is
        flagged when a trainer of the same file puts the model it trains in training mode and the
        file puts no BatchNorm layer in eval anywhere. Not flagged: a freeze and a `.train()` under opposite
        outcomes of one configuration flag (`if args.freeze:` in `__init__`, the `else` of `if
        self.args.freeze:` in `forward`); a part whose class's `forward` puts it in eval again before it
        runs; a momentum copy of a trained
        module (MoCo's key encoder, a BYOL target: frozen, and its weights updated in place from the
        trained module's), which the published recipes run in training mode.
    """
    why = """
        `requires_grad = False` stops gradient updates of BatchNorm's weight and bias but not its
        running mean and variance: in training mode they keep moving with every batch, so the
        "frozen" backbone changes, and evaluation uses statistics that no longer match its
        weights. `model.train()` resets every submodule, including ones put in eval earlier.
    """
    example = """
        backbone.requires_grad_(False)
        for epoch in range(epochs):
            model.train()            # backbone's BatchNorm back in training mode
            train_one_epoch(model)
    """
    fix_docs = """
        After each `model.train()`, put the frozen part's BatchNorm layers in eval
        (`model.backbone.eval()` or `m.eval()` for each BatchNorm module), or override `train()`
        in the model to do so.
    """
    use_instead = """
        backbone.requires_grad_(False)
        for epoch in range(epochs):
            model.train()
            backbone.eval()          # its BatchNorm statistics stay frozen too
            train_one_epoch(model)
    """
    references = (
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('`torch.nn.Module.train` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train'),
        ('`torchvision.ops.FrozenBatchNorm2d` (torchvision docs)',
         'https://pytorch.org/vision/stable/generated/torchvision.ops.FrozenBatchNorm2d.html'),
        ('Wu & Johnson, Rethinking "Batch" in BatchNorm (2021)', 'https://arxiv.org/abs/2105.07576'),
    )
    # a freeze of an attribute with a literal False or a parameter's value (not the keyword
    # `Parameter(..., requires_grad=False)`), or BatchNorm put in eval: `.eval`, `.train(False)` / `.train(flag)`
    triggers = (r"\.requires_grad(?:_\s*\(\s*|\s*=\s*)(?!True\b)[A-Za-z_]", r"\.eval\b", r"\.train\s*\(\s*(?:mode\s*=\s*)?[A-Za-z_]",
                # a training loop whose freeze is done by a helper or a constructor of another file (a model
                # built frozen, in training mode as built or as its builder returns it: no `.train()` here)
                r"\.backward\s*\(|\.step\s*\(")
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        analysis = model.analysis(ModeAnalysis).run()
        lightning = set()  # (the function that freezes, the part): said once, by the Lightning finding
        for frozen in lightning_freezes(model, analysis):
            lightning.add((analysis.enclosing_function(frozen.node), frozen.key.partition(".")[2]))
            yield Report(
                frozen.node,
                f"`{frozen.key}`'s parameters are frozen here, but Lightning puts the whole module in training mode "
                f"before each training epoch and `{frozen.owner}` never puts this part back in eval: its "
                f"BatchNorm running statistics keep updating; call `{frozen.key}.eval()` in `on_train_epoch_start`",
            )
        reported: set[int] = set()
        resets = list(FreezeResets(model).resets())
        reset_at = {(reset.key, analysis.line(reset.train)) for reset in resets}
        for found in frozen_in_training(model, analysis):
            reported.add(id(found.node))
            if (analysis.enclosing_function(found.node), found.key.partition(".")[2]) in lightning \
                    or (found.key, found.step) in reset_at:
                continue  # (said once: by the Lightning freeze, or at the call whose `.train()` undoes the freeze)
            if isinstance(found, FreezeEvalUndone):
                yield Report(
                    found.node,
                    f"`.train()` here puts `{found.key}` (frozen and put in eval at line "
                    f"{analysis.line(found.evaluated)}) back in training mode before the training step on "
                    f"line {found.step}: its BatchNorm statistics keep updating",
                )
            elif isinstance(found, EvalUndone):
                yield Report(
                    found.node,
                    f"`.train()` here puts `{found.key}` (put in eval at line {analysis.line(found.evaluated)} to freeze "
                    f"its BatchNorm) back in training mode before the training step on line {found.step}"
                    + (f" (through `{model.code(found.through.func)}()` at line {analysis.line(found.through)})"
                       if found.through is not None else ""),
                    model=found.model,
                )
            else:
                by, of = ("", "") if found.through is None else (
                    f" by `{model.code(found.through.func)}()` (called at line {analysis.line(found.through)} of "
                    f"{_name(model)})", f" of {_name(model)}")
                frozen = "frozen here" if not builds_optimizer(found.model or model, found.node) else \
                    "left out of this optimizer (all except the parts it is given)" if _given_a_part(found.model or model, found) else \
                    "given to no optimizer (this one holds other modules')"
                yield Report(
                    found.node,
                    f"`{found.key}`'s parameters are {frozen}{by}, but its BatchNorm layers are in training "
                    f"mode at the training step on line {found.step}{of} ({found.why}): their running statistics keep "
                    f"updating; put them in eval after each `.train()`",
                    model=found.model,
                    related=(found.through,) if found.model is not None else (),
                )
        for reset in resets:
            if id(reset.train) in reported:
                continue
            reported.add(id(reset.train))
            through = "".join(f" (through `{model.code(c.func)}()` at line {analysis.line(c)})" for c in reset.via[:1])
            what = "`.train()` here" if reset.train.func.attr.value == "train" else \
                f"`{model.code(reset.train.func)}()` here (it calls `.train()`)"
            yield Report(
                reset.train,
                f"{what}{through} puts `{reset.key}` back in training mode, undoing the BatchNorm freeze at "
                f"line {analysis.line(reset.freeze)}, before it runs at line {analysis.line(reset.run)}: its "
                f"BatchNorm running statistics keep updating; freeze again after every `.train()` (or override "
                f"`train()` to keep them in eval)",
            )

        for found in builder_freezes(analysis):
            if id(found.freeze) in reported:
                continue
            reported.add(id(found.freeze))
            yield Report(
                found.freeze,
                f"`{found.key}`'s parameters are frozen here, but its BatchNorm layers are not put in eval: "
                f"`{found.builder.name.value}()` returns it, and `{found.trainer.name.value}()` puts the model it trains "
                f"in training mode (`.train()` at line {analysis.line(found.train)}) before the training step on line "
                f"{analysis.line(found.step)}: their running statistics keep updating; put the frozen part's "
                f"BatchNorm layers in eval after every `.train()`",
            )
