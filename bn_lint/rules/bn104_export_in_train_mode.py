"""BN104 export-in-train-mode."""
from __future__ import annotations

import re
from typing import Iterable

import libcst as cst

from ..finding import Severity
from ..rule import Invalid, Rule, Valid
from bn_lint.semantic.file.model import FileModel, Report
from ..semantic.modes import ModeAnalysis, describe
from bn_lint.semantic.evaluations.owned_exports import unowned_export
from bn_lint.semantic.project.builds_batchnorm import project_builds_batchnorm
from bn_lint.semantic.nn_modules.bearing import ModelKind


def _called_or_imported(name: str) -> tuple[str, str]:
    """``name(`` called, or ``name`` imported (and perhaps renamed).

    The name's leading word comes first, as a plain literal: the regex module finds a literal fast,
    and the alternation (which it cannot) then runs only on files that hold the word.
    """
    word = re.match(r"\w+", name).group()  # type: ignore[union-attr]
    called = rf"{word}(?<!\w{word}){name[len(word):]}\s*\("  # (the boundary after the word: see BN101)
    return word, rf"{called}|import[^\n(]*\b{name}\b|import\s*\([^)]*\b{name}\b"


class ExportInTrainMode(Rule):
    code = "BN104"
    name = "export-in-train-mode"
    severity = Severity.ERROR
    summary = "A BatchNorm model is traced, exported or fused while in training mode."
    what = """
        Flags `torch.onnx.export`, `torch.jit.trace`, `torch.export.export`,
        `torch.ao.quantization.fuse_modules` / `convert` and conv-BatchNorm fusion helpers
        (`fuse_conv_bn_eval`) applied to a model that the code shows in training mode (built and
        never put in eval, or after `.train()`).
    """
    why = """
        Tracing and exporting record the model as it runs now: in training mode BatchNorm
        normalises with batch statistics (and updates running averages), so the exported graph
        gives batch-dependent outputs. Fusing conv and BatchNorm uses the running statistics and is
        only valid in eval mode.
    """
    example = """
        model = resnet18(weights="DEFAULT")
        torch.onnx.export(model, dummy, "model.onnx")   # BN104
    """
    fix_docs = "Call `model.eval()` before tracing, exporting or fusing."
    use_instead = """
        model = resnet18(weights="DEFAULT")
        model.eval()
        torch.onnx.export(model, dummy, "model.onnx")
    """
    references = (
        ('`torch.onnx` (PyTorch docs)', 'https://pytorch.org/docs/stable/onnx.html'),
        ('`torch.jit.trace` (PyTorch docs)', 'https://pytorch.org/docs/stable/generated/torch.jit.trace.html'),
        ('`torch.ao.quantization.fuse_modules` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.ao.quantization.fuse_modules.html'),
        ('`torch.nn.Module.eval` (PyTorch docs)',
         'https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval'),
    )
    # the analysis flags a call whose name resolves to an export (modes._EXPORTS), so the file calls
    # the function by its name or imports it under another
    triggers = (
        _called_or_imported("export"),  # torch.onnx.export, torch.export.export
        _called_or_imported(r"trace(?:_module)?"),
        _called_or_imported(r"fuse(?:_modules|_conv_bn_eval)?"),
        ("quantization", *_called_or_imported("convert")),
        r"\.to_(?:onnx|torchscript)\s*\(",  # a LightningModule's export methods
        r"\.fuse_model\s*\(",  # a quantizable model's conv-BatchNorm fusion
        _called_or_imported(r"compile|torch2trt|convert"),  # torch_tensorrt.compile, torch2trt, coremltools.convert
        (*_called_or_imported("script"), r"\.save\s*\("),  # a TorchScript file saved: `torch.jit.script(model).save(p)`
    )
    invalid = (
        Invalid(  # a compiler to an inference engine traces the module as it is (TensorRT)
            """
            import torch
            import torch_tensorrt
            import torchvision

            model = torchvision.models.resnet18()
            model.load_state_dict(torch.load("r18.pt"))
            trt_model = torch_tensorrt.compile(model, inputs=[torch_tensorrt.Input((1, 3, 224, 224))])
            """,
            line=7,
        ),
        Invalid(  # a quantizable torchvision model fused for post-training quantization without `.eval()`
            """
            import torchvision

            model = torchvision.models.quantization.mobilenet_v2(weights="DEFAULT", quantize=False)
            model.fuse_model()
            """,
            line=4,
        ),
        Invalid(  # the fine-tuning loop runs (10 epochs by default) and leaves the model in training mode
            """
            import argparse
            import torch
            import torchvision

            parser = argparse.ArgumentParser()
            parser.add_argument("--epochs", type=int, default=10)
            args = parser.parse_args()
            model = torchvision.models.resnet18()
            model.eval()
            for epoch in range(args.epochs):
                model.train()
                for x, y in loader:
                    torch.nn.functional.cross_entropy(model(x), y).backward()
            traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
            """,
            line=14,
        ),
        Invalid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
            """,
            line=5,
        ),
        Invalid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18()
            model.eval()
            model.train()
            torch.onnx.export(model, torch.randn(1, 3, 224, 224), "m.onnx")
            """,
            line=7,
        ),
        Invalid(  # an initialiser applied to every module leaves the mode as it was
            """
            import torch
            import torch.nn as nn

            def weights_init(m):
                if isinstance(m, nn.BatchNorm2d):
                    nn.init.normal_(m.weight, 1.0, 0.02)

            netG = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, bias=False), nn.BatchNorm2d(64), nn.ReLU())
            netG.apply(weights_init)
            torch.onnx.export(netG, torch.randn(1, 100, 1, 1), "g.onnx")
            """,
            line=10,
        ),
        Invalid(  # ... also one defined inside the helper that applies it
            """
            import torch
            import torch.nn as nn

            def init_weights(net, gain=0.02):
                def fn(m):
                    if "Conv" in m.__class__.__name__:
                        nn.init.normal_(m.weight.data, 0.0, gain)
                net.apply(fn)

            netG = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, bias=False), nn.BatchNorm2d(64), nn.ReLU())
            init_weights(netG)
            torch.onnx.export(netG, torch.randn(1, 100, 1, 1), "g.onnx")
            """,
            line=12,
        ),
        Invalid(  # a model of named Sequentials (`OrderedDict`), traced after more training epochs
            """
            from collections import OrderedDict
            import torch
            import torch.nn as nn

            features = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(3, 32, 3, bias=False)),
                ("bn", nn.BatchNorm2d(32)),
                ("gap", nn.AdaptiveAvgPool2d(1)),
            ]))
            classifier = nn.Sequential(OrderedDict([("flatten", nn.Flatten()), ("fc", nn.Linear(32, 10))]))
            model = nn.Sequential(OrderedDict([("features", features), ("classifier", classifier)]))


            def train_one_epoch(model, loader, optimizer):
                model.train()
                for x, y in loader:
                    nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()


            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(5):
                train_one_epoch(model, train_dl, optimizer)
            traced = torch.jit.trace(model, torch.rand(1, 3, 32, 32))
            """,
            line=24,
        ),
        Invalid(  # a LightningModule exports itself with its own method
            """
            import pytorch_lightning as pl
            import torch
            import torch.nn as nn

            class Net(pl.LightningModule):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

                def forward(self, x):
                    return self.body(x)

            def export(path):
                net = Net()
                net.to_onnx(path, torch.randn(1, 3, 32, 32))
            """,
            line=15,
        ),
        Invalid(  # an exporter class holds the model its __init__ builds; its method exports it
            """
            import torch
            import torchvision

            class Exporter:
                def __init__(self):
                    self.model = torchvision.models.resnet18()

                def export(self, path):
                    torch.onnx.export(self.model, torch.randn(1, 3, 224, 224), path)
            """,
            line=9,
        ),
    )
    valid = (
        Valid(  # fused after `.eval()`, and the fusion for quantization-aware training (in training mode)
            """
            import torchvision

            model = torchvision.models.quantization.mobilenet_v2(weights="DEFAULT", quantize=False)
            model.eval()
            model.fuse_model()
            qat = torchvision.models.quantization.mobilenet_v2(weights="DEFAULT", quantize=False)
            qat.fuse_model(is_qat=True)
            """
        ),
        Valid(  # quantization-aware training: the QAT conv-BN modules fold their running statistics at convert
            """
            import torch.ao.quantization as tq

            model = build_qat_model()
            model.qconfig = tq.get_default_qat_qconfig("qnnpack")
            tq.prepare_qat(model, inplace=True)
            train(model)
            tq.convert(model, inplace=True)
            model.eval()
            """
        ),
        Valid(
            """
            import torch
            import torchvision

            model = torchvision.models.resnet18().eval()
            traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
            """
        ),
        Valid(
            """
            import torch

            def export(model, path):
                torch.onnx.export(model, torch.randn(1, 3, 8, 8), path)
            """
        ),
    )

    def check(self, model: FileModel) -> Iterable[Report]:
        analysis = model.analysis(ModeAnalysis).run()
        for node, site in analysis.exports.items():
            if isinstance(node, cst.Call) and (_legacy_onnx(node) or _qat_convert(model, node)):
                continue
            facts = analysis.entry.resolved(site)
            # (an export function owns the mode of what it exports: with no caller in view that sets it)
            unowned = None if analysis.kinds.shown_train(facts) else unowned_export(analysis, site, node, facts)
            if not analysis.kinds.shown_train(facts) and unowned is None:
                continue
            kind = analysis.kinds.kind(site.key, facts, site.scope)
            if kind not in (ModelKind.BN, ModelKind.MAYBE):
                continue
            if unowned is not None and kind is ModelKind.MAYBE and not project_builds_batchnorm(model):
                continue
            verb = "fused" if _fusion(model, node) else "exported/traced"
            if unowned is not None:
                yield Report(node, f"`{site.key}` may be {verb} in training mode: {unowned}; BatchNorm's batch "
                                   f"statistics get baked in; call `{site.key}.eval()` first")
                continue
            yield Report(
                node,
                f"`{site.key}` is {verb} in training mode: {describe(analysis, _bn_paths(facts))}, and no `.eval()` "
                f"before this call; BatchNorm's batch statistics get baked in; call `{site.key}.eval()` first",
            )


def _bn_paths(facts: frozenset) -> frozenset:
    """The paths on which the model holds BatchNorm, when others build a model without it."""
    return frozenset(f for f in facts if f.kind is ModelKind.BN) or facts


def _fusion(model: FileModel, node: cst.CSTNode) -> bool:
    """A conv-BatchNorm fusion (``fuse_modules``, ``fuse_conv_bn_eval``, ``model.fuse_model()``)."""
    if not isinstance(node, cst.Call):
        return False
    name = node.func.attr.value if isinstance(node.func, cst.Attribute) else model.qualname(node.func) or ""
    return "fuse" in name


def _qat_convert(model: FileModel, call: cst.Call) -> bool:
    """``convert`` in a quantization-aware-training flow (``prepare_qat``, ``fuse_modules_qat``,
    ``fuse_model(is_qat=True)`` in the file): its conv-BN modules fold in the running statistics
    whatever the mode (torchvision converts its QAT models before ``.eval()``)."""
    qn = model.qualname(call.func) or ""
    return qn.endswith(".convert") and _QAT.search(model.source) is not None


_QAT = re.compile(r"prepare_qat|fuse_modules_qat|is_qat\s*=\s*True")


def _legacy_onnx(call: cst.Call) -> bool:
    """The TorchScript-based ONNX exporter (``dynamo=False`` / ``training=``) picks the mode itself."""
    for arg in call.args:
        if arg.keyword is None:
            continue
        if arg.keyword.value == "training":
            return True
        if arg.keyword.value == "dynamo" and isinstance(arg.value, cst.Name) and arg.value.value == "False":
            return True
    return False
