"""BN101 missing-eval: the docs, the examples (:mod:`.invalid`, :mod:`.valid`) and a check that reads
:mod:`bn_lint.semantic.evaluations.eval_paths`."""
from __future__ import annotations

import os
from typing import Iterable
import libcst as cst

from ...finding import Severity
from ...rule import Rule
from bn_lint.semantic.knowledge.deliberate import batch_statistics_by_design
from bn_lint.semantic.evaluations.eval_paths import helper_evaluations, train_mode_evaluations
from bn_lint.semantic.file.model import FileModel, Report
from bn_lint.semantic.nn_modules.forced_modes import forced_train_in_forward
from bn_lint.semantic.nn_modules.unregistered_batchnorm import unregistered_batchnorm
from ...semantic.modes import EVAL_NAME, ModeAnalysis
from ...semantic.modes.known_calls import OWN_WEIGHTS_LOADER_NAME, WEIGHTS_LOADER_NAME
from ...semantic.modes.eval_names import EVAL_CLASS_NAME
from .invalid import INVALID
from .valid import VALID


class MissingEval(Rule):
    code = "BN101"
    name = "missing-eval"
    severity = Severity.ERROR
    reports_in_other_files = True  # (in the helper of another file that the checked one calls)
    summary = "A BatchNorm model is run for evaluation/inference while in training mode."
    what = """
        Follows each model variable's train/eval mode through the code (branches, loops, helper
        functions in this file and in other project files) and flags a call of the model in an
        evaluation context (under `torch.no_grad()` / `torch.inference_mode()`, its output read as
        predictions by `argmax` / `topk` / `max` over a dim outside any training step, or in a
        function named like evaluate/validate/test/predict/infer that does no training step; a
        module-level model that such a function reads counts as passed in by each call, and one that a
        function nobody in the file calls (a web handler, a callback) reads is in the mode the module's
        code leaves it, when no other function changes it; an action picked from the argmax under
        `no_grad` in a training loop, which no loss reads, is an evaluation; or, in a loop
        or function that trains on one branch, the branch where `torch.set_grad_enabled(phase == 'train')`
        turns gradients off, when the code shows that branch run: `for phase in ('train', 'val')`, or a
        call passing `train=False`) where the model
        is in training mode on every path the code shows: it was built there (modules start in
        training mode, as do `torch.hub.load` entry points), `.train()` was called, or it ran a
        training step (`loss.backward()` on its output) in the mode it was given, and no `.eval()`
        reaches the call. Also flagged: a loop over evaluation data (`test_loader`, `val_dl`) or a
        batch taken from it inside a training loop whose outputs reach no backward pass; an
        inference script (weights loaded with `load_state_dict`, nothing in the file trains); an
        evaluation function that runs a model it is given and never puts in eval, in a file that
        puts no model in eval anywhere and whose callers do not either (RULES.md, Evidence), when
        the model may hold BatchNorm; and a module class that keeps BatchNorm layers it builds in a plain
        list, dict or tuple (`self.heads = [Head() for _ in range(4)]`), which `nn.Module` does not register:
        `.eval()` never reaches them (use `nn.ModuleList`); and a module class whose `forward` puts a
        BatchNorm part (or itself) in training mode at every call (`self.backbone.train()` under no test of
        `self.training` or of a mode the caller gives), in a file that evaluates: each `.eval()` of the model is
        undone when it runs. Not flagged: calls in a training step (a loop or function with
        `backward()` / `optimizer.step()` / `train_step()`), models whose mode bn-lint cannot see
        (models loaded with `torch.load` / `torch.jit.load`, models passed to unknown code), files
        whose every BatchNorm has `momentum=1` or `track_running_stats=False`, shape probes (`model(dummy).shape`, calls
        in `__init__`), smoke tests on random input, frameworks that set the mode themselves
        (Lightning, HF Trainer), functions under a decorator that sets the mode around them
        (`@eval_mode`: one named for evaluation or inference, or a project function whose code calls
        `.eval()`), and a generator put in `.train()` right before samples drawn to be looked at
        (`make_grid`, `save_image`), with no training step between, in a function not named for
        evaluation: batch statistics by choice.
    """
    why = """
        In training mode BatchNorm normalises with the statistics of the current batch and updates
        its running averages. Evaluation results then depend on the batch (its size, its other
        samples), differ from run to run, and the running statistics drift towards the evaluation
        data. No error is raised.
    """
    example = """
        model = ResNet()
        train(model, loader)        # leaves the model in training mode
        with torch.no_grad():
            preds = model(images)   # BN101
    """
    fix_docs = """
        Call `model.eval()` before evaluating (and `model.train()` before training again).
    """
    use_instead = """
        model = ResNet()
        train(model, loader)
        model.eval()                # BatchNorm uses its running statistics
        with torch.no_grad():
            preds = model(images)
        model.train()               # before training again
    """
    references = (
        ('`torch.nn.Module.eval` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval'),
        ('Autograd mechanics: evaluation mode (`nn.Module.eval()`) is not `no_grad`',
         'https://pytorch.org/docs/stable/notes/autograd.html#evaluation-mode-nn-module-eval'),
        ('`torch.nn.BatchNorm2d` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html'),
        ('Wu & Johnson, Rethinking "Batch" in BatchNorm (2021)', 'https://arxiv.org/abs/2105.07576'),
    )
    # a no-grad region, an output read as predictions (argmax, top-k, max over a dim), or a function
    # whose name says evaluation (see ModeAnalysis.eval_reason)
    # an evaluation function defined here; or imported by name from another module into a file that
    # trains, or loads, a model. Each branch starts with a literal and checks a word boundary after it:
    # the regex module tries a branch led by a look-behind at every position of the file.
    triggers = ("no_grad", "inference_mode", "set_grad_enabled", r"volatile\s*=\s*True",  # (PyTorch < 0.4's no_grad)
                r"load_state_dict\(",  # (an inference script)
                # (a model's own weight loader: Darknet's `model.load_weights(path)`)
                OWN_WEIGHTS_LOADER_NAME + r"\(",
                # (a project's loader given the model: `load_checkpoint_parallel(net, path)`)
                WEIGHTS_LOADER_NAME + r"\(\s*\w+\s*,",
                # (a project helper that may load weights into the model it is given, in a script reading outputs)
                (r"\b(?:load|restore)\w*\(\s*\w+\s*,", r"\.item\(|\.numpy\(|\.tolist\(|argmax|\bpredict"),
                # (one of a pretrained model; the pre-filter blanks strings: `weights="DEFAULT"` reads `weights= )`)
                r"pretrained\s*=\s*True|weights\s*=\s*(?:[\"',)]|\w+_Weights\b)",
                # outputs read as predictions or read out as data, in a script that loads data or weights or trains
                (r"argmax|topk|torch\.max\(|\.max\((?:1|-1|dim)|\.numpy\(|\.tolist\(",
                 r"oader(?<=[lL]oader)\b|load_state_dict|torch\.load\(|\.train\(|pretrained\s*=\s*True|weights\s*=\s*[\w\"',)]"),
                # (a helper given a model whose outputs it reads out as data: an evaluation it owns)
                (r"\.numpy\(|\.tolist\(|\.item\(", r"def\s+\w+\(\s*(?:self\s*,\s*)?(?:model|net|network)\b"),
                # (a script whose model a project builder loads: `model = DeepSpeech.load_model(args.path)`)
                (r"\bload\w*\(", r"__name__\s*==|\bargparse\b|\bsys\.argv\b"),
                # (a model a framework builds with trained weights, in training mode: `Net.load_from_checkpoint(p)`,
                # or a class's own loader that may return one: `Localiser.load(run, checkpoint)`)
                r"load_from_checkpoint\(|from_pretrained\(",
                (r"\.(?:load|restore)\(", r"\b[A-Z]\w*\.(?:load|restore)\("),
                r"def\s+" + EVAL_NAME + r"\s*[(\[]",
                r"class\s+" + EVAL_CLASS_NAME + r"\s*[(:]",  # (`class Test:` running its model per batch)
                r"\.backward\s*\(",  # (a model trained here may be put to use after its training loop)
                r"register_forward(?:_pre)?_hook\s*\(",  # (a model run for what its hooks record: a summary)
                (r"from\s+[\w.]+\s+import\s+(?:\([\w\s,]*?|[\w \t,]*?)\b" + EVAL_NAME,
                 r"\.backward\(|\.step\(|train(?<![\w.]train)\w*\(|fit(?<![\w.]fit)\w*\(|\.train\(|optim(?<!\woptim)\.\w+\("
                 r"|load_state_dict\("))
    invalid = INVALID
    valid = VALID

    def check(self, model: FileModel) -> Iterable[Report]:
        if batch_statistics_by_design(model):
            return  # (every BatchNorm here uses batch statistics in eval mode too: momentum=1, no running stats)
        analysis = model.analysis(ModeAnalysis).run()
        for found in train_mode_evaluations(model, analysis):
            if found.unowned:  # (reported at the evaluation loop, the code the fix goes before)
                at = f"`{found.key}(...)` at line {analysis.line(found.node)}" if found.loop is not None \
                    else f"`{found.key}`"
                yield Report(found.loop or found.node,
                             f"{at} may be in training mode here ({found.reason}): {found.why}; a model given "
                             f"in training mode is evaluated with batch statistics and its BatchNorm "
                             f"running averages move; call `{found.key}.eval()` first")
                continue
            yield Report(
                found.node,
                f"`{found.key}` is in training mode here ({found.reason}): {found.why}; no `.eval()` on the path to "
                f"this call, so BatchNorm uses batch statistics and updates its running averages",
            )
        for found in unregistered_batchnorm(model):  # (`self.heads = [Head() ...]`: `.eval()` never reaches them)
            yield Report(found.node, f"`{found.owner}` keeps BatchNorm layers in `self.{found.attribute}`, a plain "
                         f"Python container that `nn.Module` does not register: `.eval()` never reaches them, so they "
                         f"normalise with batch statistics and update their running averages whenever the model is "
                         f"evaluated (nor do `.to()` or `state_dict()`); use `nn.ModuleList` / `nn.ModuleDict`")
        for found in forced_train_in_forward(model):  # (`forward` undoes every `.eval()` of the model)
            yield Report(found.node, f"`{found.owner}.forward()` puts `{found.part}` in training mode at every call: "
                         f"`.eval()` on the model is undone each time it runs, so every evaluation normalises with "
                         f"batch statistics and updates the BatchNorm running averages; leave the mode to the caller "
                         f"(`model.train()` before training, `model.eval()` before evaluation)")
        # another file's function evaluates what it is given: reported at its call of the module, which
        # runs in training mode when called from here
        here = os.path.basename(model.path)
        for found in helper_evaluations(analysis):
            helper = found.helpers[0]
            lines = sorted({analysis.line(h.site.node) for h in found.helpers})
            calls = f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
            name = helper.summary.name
            if found.place is not None:  # (a method of the model's holder: its caller sets the mode, here)
                where = f"`{name}()` ({os.path.basename(helper.callee.model.path)}:{helper.callee.line(found.use)})"
                holder = helper.site.key.rsplit(".", 1)[0]
                in_loop = isinstance(found.place, cst.For)
                yield Report(
                    found.place,
                    f"`{helper.site.key}` is in training mode {'in this evaluation loop' if in_loop else 'here'} "
                    f"({helper.reason} in {where}{f', called at {calls}' if in_loop else ''}): {found.why}; `{name}()` "
                    f"does not call `.eval()` and nothing here does before, so BatchNorm uses batch statistics and "
                    f"updates its running averages; call `{holder}.eval()` {'before the loop' if in_loop else 'first'}",
                )
                continue
            yield Report(
                found.use,
                f"`{name}()` runs the model here ({helper.reason}): {here} passes `{helper.site.key}` at {calls} "
                f"in training mode: {found.why}; no `.eval()` before that call or in `{name}()`, "
                f"so BatchNorm uses batch statistics and updates its running averages",
                model=helper.callee.model,
                related=tuple(h.site.node for h in found.helpers),
            )
