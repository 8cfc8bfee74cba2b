"""The trigger pre-filter only saves time: it never changes what is found."""
from __future__ import annotations

from pathlib import Path

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.registry import static_rules
from bn_lint.source import SourceText, read_source

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "fixtures").rglob("*.py") if "runtime" not in p.parts)
EXAMPLES = [(rule.code, example.source) for rule in static_rules() for example in (*rule.invalid, *rule.valid)]


class Unfiltered(Checker):
    """Every selected rule on every file."""

    def active_rules(self, text: str):
        return list(self.rules)


def _both(path: str, source: SourceText):
    filtered = Checker(Settings()).check_source(path, source)
    unfiltered = Unfiltered(Settings()).check_source(path, source)
    assert not filtered.errors and not unfiltered.errors
    return [f.to_dict() for f in filtered.findings], [f.to_dict() for f in unfiltered.findings]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_fixture_findings_do_not_depend_on_the_prefilter(path):
    filtered, unfiltered = _both(str(path), read_source(str(path)))
    assert filtered == unfiltered


@pytest.mark.parametrize(("code", "source"), EXAMPLES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(EXAMPLES)])
def test_rule_example_findings_do_not_depend_on_the_prefilter(code, source):
    filtered, unfiltered = _both("example.py", SourceText(source, "utf-8"))
    assert filtered == unfiltered


def test_the_prefilter_skips_files_no_rule_can_flag():
    text = "import torch\n\ndef forward(self, x):\n    if self.training:\n        x = x * 2\n    return x.eval_fn()\n"
    assert Checker(Settings()).active_rules(text) == []


_TRAINED = "import torch\nimport torchvision\nmodel = torchvision.models.resnet18()\n"
SPELLINGS = {
    # BN104: every way to reach an export or fusion function passes its trigger pairs
    "onnx-alias": _TRAINED + "import torch.onnx as tox\ntox.export(model, torch.randn(1, 3, 8, 8), 'm.onnx')\n",
    "onnx-from": _TRAINED + "from torch.onnx import export as to_onnx\nto_onnx(model, torch.randn(1, 3, 8, 8), 'm.onnx')\n",
    "jit-from": _TRAINED + "from torch.jit import trace\ntraced = trace(model, torch.randn(1, 3, 8, 8))\n",
    "export-from": _TRAINED + "from torch import export\nprogram = export.export(model, (torch.randn(1, 3, 8, 8),))\n",
    "export-paren": _TRAINED + "from torch.export import (\n    export,\n)\nprogram = export(model, (torch.randn(1, 3, 8, 8),))\n",
    "fuse-alias": _TRAINED + "from torch.ao.quantization import fuse_modules as fm\nfm(model, [['conv1', 'bn1']])\n",
    "convert-alias": _TRAINED + "import torch.ao.quantization as tq\nquantized = tq.convert(model)\n",
    # BN105: BatchNorm put in eval with .train(False), then undone
    "train-false": _TRAINED + "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nmodel.layer1.train(False)\n"
                   "for x in loader:\n    model.train()\n    model(x).sum().backward()\n    opt.step()\n",
    "freeze-literal": _TRAINED + "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nmodel.layer1.requires_grad_( False )\n"
                      "for x in loader:\n    model.train()\n    model(x).sum().backward()\n    opt.step()\n",
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_spellings_that_the_triggers_must_pass(name):
    filtered, unfiltered = _both("example.py", SourceText(SPELLINGS[name], "utf-8"))
    assert unfiltered, "the example must give a finding, or it shows nothing"
    assert filtered == unfiltered
