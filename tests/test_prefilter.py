"""The trigger pre-filter only saves time: it never changes what is found."""
from __future__ import annotations

import re
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

    def active_rules(self, text: str, path: str | None = None):
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


@pytest.mark.parametrize("binding", ["Norm = partial(nn.BatchNorm2d, eps=1e-5)", "Norm = nn.BatchNorm2d"])
def test_a_project_name_standing_for_batchnorm_says_batchnorm(tmp_path, binding):
    """A file that never says BatchNorm but imports ``Norm`` bound to it in a project module is checked."""
    (tmp_path / "layers.py").write_text(f"from functools import partial\nimport torch.nn as nn\n{binding}\n")
    head = tmp_path / "head.py"
    head.write_text("import torch.nn as nn\nfrom layers import Norm\n\nclass Head(nn.Module):\n"
                    "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 16)\n"
                    "        self.bn = Norm(16)\n\n    def forward(self, x):\n        return self.bn(self.fc(x))\n")
    filtered, unfiltered = _both(str(head), read_source(str(head)))
    assert filtered == unfiltered
    assert [(f["code"], f["line"]) for f in filtered] == [("BN202", 8)]


def test_a_project_name_bound_to_something_else_does_not_open_the_file(tmp_path):
    (tmp_path / "layers.py").write_text("import torch.nn as nn\nNorm = nn.LayerNorm  # not BatchNorm\n")
    text = "from layers import Norm\nimport torch\nx = Norm(4)\n"
    (tmp_path / "head.py").write_text(text)
    assert Checker(Settings()).active_rules(text, str(tmp_path / "head.py")) == []


@pytest.mark.parametrize("imported", ["from engine.evaluate import test_model", "from engine import test_model"])
def test_an_imported_evaluation_function_opens_the_file(tmp_path, imported):
    """A script that never says ``no_grad`` but gives a model to an imported function whose body turns gradients
    off (also one a package's ``__init__`` re-exports) is checked: the finding is at the function's run."""
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "__init__.py").write_text("from .evaluate import test_model\n")
    (tmp_path / "engine" / "evaluate.py").write_text(
        "import torch\n\n\ndef test_model(model, loader):\n    out = []\n    for x in loader:\n"
        "        with torch.no_grad():\n            out.append(model(x).argmax(1))\n    return out\n")
    text = (f"import torch.nn as nn\n{imported}\n\nnet = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))\n"
            "print(test_model(net, []))\n")
    script = tmp_path / "run.py"
    script.write_text(text)
    assert "BN101" in [rule.code for rule in Checker(Settings()).active_rules(text, str(script))]
    filtered, unfiltered = _both(str(script), read_source(str(script)))
    assert filtered == unfiltered
    assert [(f["code"], f["path"].rsplit("/", 1)[-1], f["line"]) for f in filtered] == [("BN101", "evaluate.py", 8)]


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
    "jit-trace-module": _TRAINED + "traced = torch.jit.trace_module(model, {'forward': torch.randn(1, 3, 8, 8)})\n",
    "fx-fuse": _TRAINED + "import torch.fx.experimental.optimization as opt\nfused = opt.fuse (model)\n",
    # BN102: a statement that ends right after .eval / .train, however it ends
    "eval-semicolon": _TRAINED + "model.eval; x = 1\n",
    "eval-comment": _TRAINED + "model.train  # back to training\n",
    "eval-paren": _TRAINED + "(model\n    .eval)\n",
    "eval-crlf": (_TRAINED + "model.eval\nx = 1\n").replace("\n", "\r\n"),
    "eval-last-line": _TRAINED + "model.eval",
    "training-flag": _TRAINED + "model.training = False\n",
    "freeze-loop": _TRAINED + "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nfor p in model.layer1.parameters():\n"
                   "    p.requires_grad=False\nfor x in loader:\n    model.train()\n    model(x).sum().backward()\n    opt.step()\n",
    "freeze-literal": _TRAINED + "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nmodel.layer1.requires_grad_( False )\n"
                      "for x in loader:\n    model.train()\n    model(x).sum().backward()\n    opt.step()\n",
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_spellings_that_the_triggers_must_pass(name):
    filtered, unfiltered = _both("example.py", SourceText(SPELLINGS[name], "utf-8"))
    assert unfiltered, "the example must give a finding, or it shows nothing"
    assert filtered == unfiltered


def _code_tokens(text: str) -> list[tuple[int, str]]:
    """The tokens that are code: names, operators, numbers and f-strings (whose expressions are code)."""
    import io
    import tokenize

    kept = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and re.fullmatch("[rRbBuU]{1,2}", token.string):
            continue  # a blanked string's prefix stays behind as a name (or is a name like `b`)
        if token.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
            kept.append((token.type, token.string))
        elif token.type == tokenize.STRING and token.string[:2].lower().lstrip("rb").startswith("f"):
            kept.append((token.type, token.string))
    return kept


_TRICKY = [
    'x = "a # not a comment" # a comment with "quotes"\n',
    "s = r'\\'' + '''a\n''' + \"\"\"b \\\"\"\" c\n\"\"\"  # '\n",
    'y = f"{model.eval()}" + rf\'{x!r}\' + F"{{}}" + b"\\x00"\n',
    'if"a" in x: pass\nz = u"\\\n"\n',
    "def f():\n    '''doc with \"\"\" inside'''\n    return '#'\n",
]


@pytest.mark.parametrize("path", [*FIXTURES, *sorted((ROOT / "bn_lint").rglob("*.py")), *sorted((ROOT / "tests").glob("*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_code_only_blanks_exactly_the_strings_and_comments_of_a_file(path):
    from bn_lint.prefilter import code_only

    text = read_source(str(path)).text
    assert _code_tokens(code_only(text)) == _code_tokens(text)


@pytest.mark.parametrize("text", _TRICKY)
def test_code_only_on_tricky_strings(text):
    from bn_lint.prefilter import code_only

    compile(text, "tricky.py", "exec")
    assert _code_tokens(code_only(text)) == _code_tokens(text)
    assert "comment" not in code_only(text) and "doc" not in code_only(text)


def test_every_evaluation_named_function_passes_the_trigger():
    """The pre-filter's name pattern accepts every name the mode analysis takes for an evaluation."""
    import itertools

    from bn_lint.semantic.modes import EVAL_NAME, eval_named

    pieces = ["", "_", "is", "has", "run", "do", "get", "model", "epoch", "one", "step", "valid", "validate",
              "validation", "infer", "eval", "test", "val", "predict", "inference", "kwargs", "Test"]
    pattern = re.compile(EVAL_NAME)
    names = {"_".join(p).strip() or "x" for n in (1, 2, 3) for p in itertools.product(pieces, repeat=n)}
    accepted = [name for name in names if name.isidentifier() and eval_named(name)]
    assert accepted and all(pattern.fullmatch(name) for name in accepted), [
        name for name in accepted if not pattern.fullmatch(name)
    ]
    assert not eval_named("validate_environment") and not eval_named("is_valid_image")
