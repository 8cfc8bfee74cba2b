"""semantic.modes and the BN1xx rules: mode flow through branches, loops, helpers and files."""
from __future__ import annotations

import json
import shutil

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.project import Project
from bn_lint.semantic.modes import EVAL, TRAIN, ModeAnalysis
from tests.conftest import FIXTURES, run_cli
from tests.helpers import check_code, codes_and_lines


def test_two_files_folder_and_single_file(tmp_path):
    """Model in models.py, evaluation in evaluate.py: flagged whether the folder or one file is checked."""
    shutil.copytree(FIXTURES / "bn1" / "two_files", tmp_path / "proj")
    (tmp_path / "proj" / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for args in (["proj"], ["proj/evaluate.py"]):
        result = run_cli("check", "--select", "BN1", "--format", "json", *args, cwd=tmp_path)
        findings = json.loads(result.stdout)
        found = [(f["path"].replace("\\", "/").split("/")[-1], f["code"], f["line"]) for f in findings]
        assert found == [("evaluate.py", "BN101", 15)], (args, result.stdout, result.stderr)
        assert "built at line 12" in findings[0]["message"]
    # the helper summary comes from the other file too
    (tmp_path / "proj" / "evaluate.py").write_text(
        "import torch\nfrom models import restore\nfrom helpers import set_eval\n\n"
        "def main(x):\n    net = restore('w.pt')\n    set_eval(net)\n    with torch.no_grad():\n        return net(x)\n"
    )
    (tmp_path / "proj" / "helpers.py").write_text("def set_eval(model):\n    model.eval()\n")
    result = run_cli("check", "--select", "BN1", "proj/evaluate.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_helper_in_other_file_trains(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "engine.py").write_text(
        "import torch\n\ndef validate(model, loader):\n    model.eval()\n"
        "    with torch.no_grad():\n        return [model(x) for x in loader]\n"
    )
    (tmp_path / "train.py").write_text(
        "import torchvision\nfrom engine import validate\n\n"
        "def fit(loader, opt):\n    model = torchvision.models.resnet18()\n    model.train()\n"
        "    for epoch in range(3):\n        for x, y in loader:\n            model(x).sum().backward()\n"
        "            opt.step()\n        validate(model, loader)\n"
    )
    result = run_cli("check", "--select", "BN1", "--format", "json", "train.py", cwd=tmp_path)
    found = [(f["code"], f["line"]) for f in json.loads(result.stdout)]
    assert found == [("BN103", 11)], result.stdout
    assert "validate()" in json.loads(result.stdout)[0]["message"]


def _evaluate_helper_project(tmp_path, engine_body):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "engine.py").write_text(
        "import torch\n\ndef fit_one_epoch(model, loader, opt):\n    model.train()\n    for x, y in loader:\n"
        "        model(x).sum().backward()\n        opt.step()\n\n" + engine_body
    )
    (tmp_path / "run.py").write_text(
        "import torch\nimport torchvision\nfrom engine import fit_one_epoch, run_validation\n\n"
        "def main(train_loader, val_loader):\n    net = torchvision.models.resnet50()\n"
        "    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n    for epoch in range(10):\n"
        "        fit_one_epoch(net, train_loader, opt)\n        print(run_validation(net, val_loader))\n"
    )
    result = run_cli("check", "--select", "BN1", "--format", "json", "run.py", cwd=tmp_path)
    return result, [(f["path"], f["code"], f["line"]) for f in json.loads(result.stdout)]


def test_helper_in_other_file_evaluates_a_model_left_in_training_mode(tmp_path):
    """The caller trains (through one helper of engine.py) and evaluates (through another) without .eval()."""
    result, found = _evaluate_helper_project(
        tmp_path,
        "def run_validation(model, loader):\n    with torch.no_grad():\n        return [model(x) for x, _ in loader]\n",
    )
    # reported where the model runs (engine.py:11), naming the call that hands it over in training mode
    assert found == [("engine.py", "BN101", 11)], result.stdout
    message = json.loads(result.stdout)[0]["message"]
    assert "`run_validation()` runs the model here" in message and "run.py passes `net` at line 10" in message, message
    assert "fit_one_epoch()" in message, message
    # a noqa on that line silences it
    engine = tmp_path / "engine.py"
    engine.write_text(engine.read_text().replace("model(x) for x, _ in loader]", "model(x) for x, _ in loader]  # noqa: BN101"))
    assert run_cli("check", "--select", "BN1", "--no-cache", "run.py", cwd=tmp_path).returncode == 0


def test_helper_in_other_file_that_calls_eval_itself_is_clean(tmp_path):
    for body in (
        "def run_validation(model, loader):\n    model.eval()\n    with torch.no_grad():\n        return [model(x) for x, _ in loader]\n",
        "def run_validation(model, loader):\n    return sum(p.numel() for p in model.parameters())\n",
    ):
        result, found = _evaluate_helper_project(tmp_path, body)
        assert found == [], (body, result.stdout)


def _facts_at_use(code, tmp_path):
    path = tmp_path / "m.py"
    path.write_text(code)
    model = Project().model(str(path))
    analysis = model.analysis(ModeAnalysis).run()
    return {analysis.line(node): {f.mode for f in site.facts} for node, site in analysis.uses.items()}


def test_branches_join_and_loops_carry_state(tmp_path):
    code = (
        "import torchvision\n"
        "m = torchvision.models.resnet18()\n"
        "if flag:\n    m.eval()\n"
        "m(1)\n"  # 5: train or eval
        "m.eval()\n"
        "for i in range(3):\n    m(2)\n    m.train()\n"  # 8: eval first, train from the 2nd iteration
        "m = m.eval()\nm(3)\n"  # 11
        "m.train(mode=False)\nm(4)\n"  # 13
        "m.train(flag)\nm(5)\n"  # 15 unknown
        "m.eval()\nwas = m.training\nm.train()\nm.train(was)\nm(6)\n"  # 20 restored: eval
        "unknown_helper(m)\nm(7)\n"  # 22 unknown
    )
    facts = _facts_at_use(code, tmp_path)
    assert facts[5] == {TRAIN, EVAL}
    assert facts[8] == {TRAIN, EVAL}
    assert facts[11] == {EVAL}
    assert facts[13] == {EVAL}
    assert facts[15] == {"unknown"}
    assert facts[20] == {EVAL}
    assert facts[22] == {"unknown"}


def test_early_return_and_try(tmp_path):
    code = (
        "import torchvision\n"
        "def f(flag):\n"
        "    m = torchvision.models.resnet18()\n"
        "    if flag:\n        return\n"
        "    try:\n        m.eval()\n    except ValueError:\n        pass\n"
        "    m(1)\n"  # 10: eval, or train when eval raised
    )
    assert _facts_at_use(code, tmp_path)[10] == {TRAIN, EVAL}


def test_deepcopy_keeps_mode_and_ema_under_no_grad_in_training_step():
    findings = check_code(
        """
        import copy
        import torch
        import torchvision

        model = torchvision.models.resnet18()
        ema = copy.deepcopy(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x in []:
            model(x).sum().backward()
            opt.step()
            with torch.no_grad():
                ema(x)
        with torch.no_grad():
            ema(torch.randn(1, 3, 8, 8))
        """,
        select=("BN1",),
    )
    assert codes_and_lines(findings) == [("BN101", 14)]


def test_function_names_and_test_files():
    code = """
        import torchvision
        def predict(x):
            model = torchvision.models.resnet18()
            return model(x)
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN101", 4)]
    assert check_code(code.replace("predict", "features"), select=("BN1",)) == []
    test_code = code.replace("def predict", "def test_predict")
    assert check_code(test_code, path="tests/test_model.py", select=("BN1",)) == []
    # a `test*` function the file's own code calls is not a pytest test: an evaluation function, in any folder
    called = test_code + "\n        preds = test_predict(batch)\n"
    assert codes_and_lines(check_code(called, path="tests/test_model.py", select=("BN1",))) == [("BN101", 4)]


def test_bn102_training_false_on_a_model():
    findings = check_code(
        "import torch.nn as nn\nnet = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))\nnet.training = False\n",
        select=("BN102",),
    )
    assert codes_and_lines(findings) == [("BN102", 3)]
    assert findings[0].fix is not None and findings[0].fix.edits[0].replacement == "net.eval()"


def test_two_files_fixture_in_place_folder_and_single_file():
    """The shipped fixture itself: checking the folder and checking only evaluate.py both flag evaluate.py:15."""
    folder = FIXTURES / "bn1" / "two_files"
    for target in (folder, folder / "evaluate.py"):
        result = run_cli("check", "--select", "BN1", "--format", "json", str(target))
        found = [(f["path"].replace("\\", "/").split("/")[-1], f["code"], f["line"]) for f in json.loads(result.stdout)]
        assert found == [("evaluate.py", "BN101", 15)], (target, result.stdout, result.stderr)
        assert result.returncode == 1


def test_chained_eval_through_to_and_cuda():
    """Regression: `model.to(device).eval()` puts `model` in eval (the receiver is seen through `.to()`)."""
    code = """
        import torch
        import torchvision

        def evaluate(loader):
            model = torchvision.models.resnet18()
            model.to("cuda").eval()
            with torch.no_grad():
                return [model(x) for x in loader]
    """
    assert check_code(code, select=("BN1",)) == []
    assert codes_and_lines(check_code(code.replace(".eval()", ".float()"), select=("BN1",))) == [("BN101", 8)]


def test_loaded_scripted_and_hub_models_have_unknown_mode():
    """Regression: torch.load / torch.jit.load / third-party hub models keep a mode bn-lint cannot see."""
    code = """
        import torch

        def a(path, x):
            model = torch.jit.load(path)
            with torch.no_grad():
                return model(x)

        def b(path, x):
            model = torch.load(path)
            with torch.no_grad():
                return model(x)

        def c(x):
            model = torch.hub.load("ultralytics/yolov5", "yolov5s")
            with torch.no_grad():
                return model(x)

        def d(x):
            model = torch.hub.load("pytorch/vision", "resnet18")
            with torch.no_grad():
                return model(x)
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN101", 21)]


def test_shape_probes_are_not_evaluation():
    """Regression: calling a fresh model on a dummy input to read output sizes is not an evaluation."""
    code = """
        import torch
        import torch.nn as nn
        import torchvision

        def build():
            backbone = torchvision.models.resnet18()
            with torch.no_grad():
                dim = backbone(torch.zeros(1, 3, 224, 224)).shape[1]
                out = backbone(torch.zeros(1, 3, 64, 64))
                n = out.shape[-1] * len(out)
            return backbone, dim, n

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
                with torch.no_grad():
                    feats = body(torch.zeros(1, 3, 32, 32))
                self.fc = nn.Linear(feats.numel(), 10)
                self.body = body
    """
    assert check_code(code, select=("BN1",)) == []


def test_teacher_under_no_grad_next_to_an_unseen_training_step():
    """Regression: a loop that calls train_step()/train_one_epoch() (code bn-lint cannot see) is a training loop."""
    code = """
        import torch
        import torchvision
        from mylib import train_step

        teacher = torchvision.models.resnet50()
        student = torchvision.models.resnet18()
        for x in []:
            with torch.no_grad():
                t = teacher(x)
            train_step(student, x, t)
    """
    assert check_code(code, select=("BN1",)) == []
    assert codes_and_lines(check_code(code.replace("train_step(", "log("), select=("BN1",))) == [("BN101", 9)]


def test_bn_layers_put_in_eval_through_a_modules_loop():
    """Regression: `for m in model.modules(): if isinstance(m, BatchNorm2d): m.eval()` after `.train()`."""
    code = """
        import torch
        import torchvision

        def finetune(loader, opt):
            model = torchvision.models.resnet18()
            model.requires_grad_(False)
            model.fc = torch.nn.Linear(512, 10)
            model.train()
            for name, m in model.named_modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()
            for x, y in loader:
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
    """
    assert check_code(code, select=("BN1",)) == []
    broken = code.replace("                    m.eval()\n", "                    print(m)\n")
    assert codes_and_lines(check_code(broken, select=("BN1",))) == [("BN105", 6)]


def test_smoke_test_function_on_random_input_is_not_evaluation():
    """Regression: `def test(): net = ResNet18(); print(net(torch.randn(...)))` in a models file is a smoke test."""
    code = """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm2d(3)

        def test():
            net = Net()
            x = torch.randn(2, 3, 32, 32)
            print(net(x))
            print(net(torch.zeros(1, 3, 8, 8)))

        def predict(images):
            net = Net()
            return net(images)
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN101", 17)]


def test_eval_only_on_the_last_epoch_is_not_bn103():
    """Regression: `.eval()` under `if epoch == epochs - 1:` (or in a branch that leaves the loop) is not reset-worthy."""
    code = """
        import torch
        import torchvision

        def fit(loader, val, opt, epochs):
            model = torchvision.models.resnet18()
            model.train()
            for epoch in range(epochs):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                if epoch == epochs - 1:
                    model.eval()
                    with torch.no_grad():
                        print([model(v) for v in val])
                if epoch > 5:
                    model.eval()
                    with torch.no_grad():
                        print([model(v) for v in val])
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN103", 16)]
    leaves = code.replace("if epoch > 5:", "if epoch > 5 and stop():").replace(
        "                        print([model(v) for v in val])\n    ", "                        print(1)\n                    break\n    "
    )
    assert "break" in leaves
    assert check_code(leaves, select=("BN1",)) == []


_CONTEXT_MANAGER_LOOP = """
    import contextlib
    import torch
    import torchvision

    @contextlib.contextmanager
    def inference(net):
    {body}

    def fit(loader, val_loader):
        model = torchvision.models.resnet18()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        for epoch in range(5):
            for x, y in loader:
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
            with inference(model), torch.no_grad():
                scores = [model(x) for x, _ in val_loader]
"""


def test_context_manager_that_evaluates_and_restores_the_mode_is_clean():
    """`with inference(model):` runs its body at the helper's `yield` (eval) and restores `.train()` after."""
    for body in (
        "    was = net.training\n        net.eval()\n        try:\n            yield net\n        finally:\n"
        "            if was:\n                net.train()",
        "    was = net.training\n        net.eval()\n        yield net\n        net.train(was)",
    ):
        assert check_code(_CONTEXT_MANAGER_LOOP.format(body=body), select=("BN1",)) == [], body


def test_context_manager_that_leaves_the_model_in_eval_inside_the_training_loop():
    findings = check_code(_CONTEXT_MANAGER_LOOP.format(body="    net.eval()\n        yield net"), select=("BN1",))
    assert codes_and_lines(findings) == [("BN103", 18)], [f.message for f in findings]


def test_plain_data_attribute_given_to_a_call_keeps_the_instance_mode(tmp_path):
    """`scheduler.step(self.metric)` with `self.metric = 0`: a number given to a call carries no mode, so the instance
    is not left mixed; a part the class builds as a module (`self.backbone`) given to an unknown call is."""
    path = tmp_path / "m.py"
    path.write_text(
        "import torch\n\nclass Holder:\n    def __init__(self):\n        self.metric = 0\n"
        "        self.backbone = torch.nn.BatchNorm1d(3)\n        self.schedulers = []\n\n"
        "    def update(self):\n        for scheduler in self.schedulers:\n            scheduler.step(self.metric)\n\n"
        "    def hand_on(self):\n        self.tool.run(self.backbone)\n"
    )
    analysis = Project().model(str(path)).analysis(ModeAnalysis)
    info = analysis.model.classes["Holder"]
    assert analysis.summary(info.methods["update"]).effects == {}
    assert "self.backbone" in analysis.summary(info.methods["hand_on"]).effects


def test_if_saved_flag_restores_the_saved_mode(tmp_path):
    """`was = m.training ... if was: m.train()` puts back the mode `was` saved, not eval-or-train."""
    path = tmp_path / "m.py"
    path.write_text(
        "import torch\n\ndef probe(model, x):\n    was = model.training\n    model.eval()\n"
        "    with torch.no_grad():\n        y = model(x)\n    if was:\n        model.train()\n    return y\n"
    )
    summary = Project().model(str(path)).analysis(ModeAnalysis).function_summary("probe")
    assert summary is not None and summary.effects == {}, summary


_NET = (
    "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n\n"
    "    def forward(self, x):\n        return self.body(x)\n\n\n"
    "def build():\n    return Net()\n\n\n"
    "def load_for_inference(path):\n    net = Net()\n    net.load_state_dict(torch.load(path))\n    net.eval()\n    return net\n"
)


def test_builder_in_another_file_returns_a_model_in_training_mode(tmp_path):
    """`from models import build`: the model it returns is built in training mode (and holds BatchNorm)."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models.py").write_text(_NET)
    (tmp_path / "run.py").write_text(
        "import torch\nfrom models import build, load_for_inference\n\n"
        "def predict(path, x):\n    model = build()\n    model.load_state_dict(torch.load(path))\n"
        "    with torch.no_grad():\n        return model(x)\n\n"
        "def predict_ready(path, x):\n    model = load_for_inference(path)\n    with torch.no_grad():\n        return model(x)\n"
    )
    result = run_cli("check", "--select", "BN1", "--format", "json", "run.py", cwd=tmp_path)
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == [("BN101", 8)], result.stdout


def test_local_builder_that_returns_the_model_in_eval_mode_is_clean():
    code = _NET + "\n\ndef predict(path, x):\n    model = load_for_inference(path)\n    with torch.no_grad():\n        return model(x)\n"
    assert check_code(code, select=("BN1",)) == []


@pytest.mark.parametrize("slip", ["net.eval", "net.training = False"])
def test_a_mode_change_that_does_not_happen_spoils_the_next_evaluation(slip):
    """BN102 reports the uncalled `.eval` / the `.training` flag. The mode stays as it was, so the first
    evaluation after it is BN101 too (naming the slip); later ones are not reported again."""
    code = f"""
        import torch
        import torchvision

        net = torchvision.models.resnet18()
        {slip}
        with torch.no_grad():
            print(net(torch.randn(1, 3, 64, 64)))
            print(net(torch.randn(1, 3, 32, 32)))
        net.eval()
        torch.jit.trace(net, torch.randn(1, 3, 64, 64))
    """
    findings = check_code(code, select=("BN1",))
    assert codes_and_lines(findings) == [("BN102", 5), ("BN101", 7)]
    assert "at line 5 does not change the mode" in findings[1].message


_TRAINER = """
    import torch
    import torchvision

    class Trainer:
        def __init__(self, loader):
            self.model = torchvision.models.resnet18()
            self.loader = loader
            self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)

        def train_epoch(self):
            self.model.train()
            for x, y in self.loader:
                torch.nn.functional.cross_entropy(self.model(x), y).backward()
                self.opt.step()

        @torch.no_grad()
        def validate(self):{validate_eval}
            return [self.model(x) for x, _ in self.loader]

        def fit(self, epochs):
            for epoch in range(epochs):
                self.train_epoch(){fit_eval}
                print(self.validate())
"""


def test_trainer_method_evaluates_the_model_its_own_class_left_in_training_mode():
    findings = check_code(_TRAINER.format(validate_eval="", fit_eval=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", 18)], [f.message for f in findings]


@pytest.mark.parametrize("validate_eval, fit_eval", [
    ("\n            self.model.eval()", ""),
    ("", "\n                self.model.eval()"),
])
def test_trainer_that_puts_the_model_in_eval_is_clean(validate_eval, fit_eval):
    code = _TRAINER.format(validate_eval=validate_eval, fit_eval=fit_eval)
    assert check_code(code, select=("BN1",)) == []


def test_builders_that_branch_or_replace_the_head_still_build_in_training_mode():
    """torchvision's reference scripts: the arch picked by if/else, the classifier swapped for nn.Linear."""
    code = """
        import torch
        import torchvision
        from torch import nn

        def build_model(name, num_classes):
            if name == "resnet18":
                model = torchvision.models.resnet18()
            else:
                model = torchvision.models.resnet50()
            model.fc = nn.Linear(model.fc.in_features, num_classes)
            return model

        def main(x):
            model = build_model("resnet18", 10)
            with torch.no_grad():
                return model(x).argmax(1)
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN101", 16)]
    # the kind is the one every assignment agrees on: not a model on one branch, no finding (where the call does
    # not decide the branch: a literal name picks its branch, `build_model("resnet18", 10)` builds a ResNet-18)
    mixed = code.replace("model = torchvision.models.resnet50()", "model = None")
    assert codes_and_lines(check_code(mixed, select=("BN1",))) == [("BN101", 16)]
    undecided = mixed.replace('build_model("resnet18", 10)', "build_model(x.arch, 10)")
    assert check_code(undecided, select=("BN1",)) == []


@pytest.mark.parametrize("rebinding", [
    "",
    # (it rebinds its parameter only to the same module, moved or wrapped: still the module it was given)
    "    model = model.to('cuda')\n    if torch.cuda.device_count() > 1:\n        model = torch.nn.DataParallel(model)\n",
])
def test_a_helper_that_gives_back_the_model_it_was_given(tmp_path, rebinding):
    """`model = load_checkpoint(model, path)` keeps the mode the model had: in this file or another."""
    (tmp_path / "pyproject.toml").write_text("")
    helper = "def load_checkpoint(model, path):\n    model.load_state_dict(torch.load(path))\n" + rebinding + \
        "    return model\n"
    (tmp_path / "utils.py").write_text("import torch\n\n" + helper)
    body = (
        "def main():\n    model = torchvision.models.resnet18()\n    model = load_checkpoint(model, 'w.pt')\n"
        "    torch.onnx.export(model, torch.randn(1, 3, 224, 224), 'm.onnx')\n\n"
        "def main_ok():\n    model = torchvision.models.resnet18()\n    model.eval()\n"
        "    model = load_checkpoint(model, 'w.pt')\n    torch.onnx.export(model, torch.randn(1, 3, 224, 224), 'm.onnx')\n"
    )
    (tmp_path / "here.py").write_text("import torch\nimport torchvision\n\n" + helper + "\n" + body)
    (tmp_path / "there.py").write_text("import torch\nimport torchvision\nfrom utils import load_checkpoint\n\n" + body)
    for name, line in (("here.py", 11 + rebinding.count("\n")), ("there.py", 8)):
        result = run_cli("check", "--no-cache", "--format", "json", name, cwd=tmp_path)
        assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == [("BN104", line)], (name, result.stdout)


def test_bn_affine_frozen_by_a_helper_while_training_keeps_updating_statistics():
    code = """
        import torch
        import torchvision
        from torch import nn

        def freeze_bn_affine(model):
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    for p in m.parameters():
                        p.requires_grad = False

        def main(loader):
            model = torchvision.models.resnet50()
            freeze_bn_affine(model)
            opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
            for x, y in loader:
                model.train()
                nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN105",))) == [("BN105", 9)]
    # the same helper, with the BatchNorm layers put back in eval after each model.train()
    fixed = code.replace(
        "                model.train()\n",
        "                model.train()\n                for m in model.modules():\n"
        "                    if isinstance(m, nn.BatchNorm2d):\n                        m.eval()\n",
    )
    assert check_code(fixed, select=("BN105",)) == []


GLOBAL_MODEL = """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

def train_epoch():
    model.train()
    for x, y in train_loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

def test():
    {eval}with torch.no_grad():
        return sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)

def run():
    for epoch in range(5):
        train_epoch()
        {before}print(test())

run()
"""


@pytest.mark.parametrize("eval_in_test, eval_before, expected", [
    ("", "", [("BN101", 17)]),
    ("model.eval()\n    ", "", []),
    ("", "model.eval()\n        ", []),
])
def test_module_level_model_read_by_functions(eval_in_test, eval_before, expected):
    """pytorch/examples layout: a global ``model``, ``train()``/``test()`` reading it, a loop calling both."""
    code = GLOBAL_MODEL.format(eval=eval_in_test, before=eval_before)
    assert codes_and_lines(check_code(code, select=("BN1",))) == expected


def test_global_model_helpers_and_rebinding():
    # a validate() that leaves the global model in eval inside the training loop: BN103 at the call
    assert codes_and_lines(check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        def validate():
            model.eval()
            with torch.no_grad():
                return model(torch.load("v.pt")).sum()
        for epoch in range(3):
            for x in loader:
                loss = model(x).sum()
                opt.zero_grad(); loss.backward(); opt.step()
            validate()
    """, select=("BN1",))) == [("BN103", 13)]
    # `global model` rebinding in a helper is followed; a function never called, or called by
    # callers in different modes, is not judged
    assert check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))
        def test():
            with torch.no_grad():
                return model(torch.load("x.pt"))
        def probe():
            with torch.no_grad():
                return model(torch.load("y.pt"))
        def reload():
            global model
            model = torch.load("best.pt")
            model.eval()
        reload()
        test()
    """, select=("BN1",)) == []
    # a helper's local `model` is not the global one
    assert check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))
        def test():
            model = torch.load("m.pt")
            with torch.no_grad():
                return model(torch.load("x.pt"))
        test()
    """, select=("BN1",)) == []


def test_predictions_read_by_argmax_are_evaluation():
    found = check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
        model.load_state_dict(torch.load("m.pt"))
        preds = []
        for x in test_loader:
            preds.append(model(x).argmax(1))
        for x in test_loader:
            out = model(x)
            _, predicted = torch.max(out.data, 1)
    """, select=("BN1",))
    assert codes_and_lines(found) == [("BN101", 7), ("BN101", 9)]
    assert "argmax" in found[0].message
    # accuracy computed inside a training step, a smoke test, and a plain max() are not evaluations
    assert check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:
            out = model(x)
            acc = (out.argmax(1) == y).float().mean()
            loss = nn.functional.cross_entropy(out, y)
            opt.zero_grad(); loss.backward(); opt.step()
        print(model(torch.randn(4, 8)).argmax(1))
    """, select=("BN1",)) == []
    assert check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
        peak = model(torch.load("x.pt")).max()
    """, select=("BN1",)) == []
    # but the trained model run on data after its training loop is put to use: an evaluation
    found = check_code("""
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
        peak = model(torch.load("x.pt")).max()
    """, select=("BN1",))
    assert codes_and_lines(found) == [("BN101", 8)] and "after the training loop at line 5" in found[0].message


def test_helper_chains_registries_and_ema_copies():
    # one_nn_accuracy(net) -> extract(net): resolved through the helper that passes its parameter on
    assert codes_and_lines(check_code("""
        import torch
        import torch.nn as nn
        def extract(net, loader):
            with torch.no_grad():
                return [net(x) for x in loader]
        def knn_accuracy(net, loader):
            return len(extract(net, loader))
        net = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))
        net.train()
        print(knn_accuracy(net, loader))
    """, select=("BN1",))) == [("BN101", 5)]
    # MODELS[name](...) where every entry builds a BatchNorm model
    assert codes_and_lines(check_code("""
        import torch
        import torchvision
        MODELS = {"r18": torchvision.models.resnet18, "r50": torchvision.models.resnet50}
        model = MODELS[arch](num_classes=10)
        with torch.no_grad():
            out = model(batch)
    """, select=("BN1",))) == [("BN101", 6)]
    # an EMA holder that deep-copies the model: its copy starts in the model's mode ...
    ema = """
        import copy
        import torch
        import torch.nn as nn
        class ModelEma:
            def __init__(self, model, decay=0.999):
                self.module = copy.deepcopy(model){eval}
                self.decay = decay
        def validate_ema(ema, loader):
            with torch.no_grad():
                return [ema.module(x).argmax(1) for x in loader]
        model = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))
        ema = ModelEma(model)
        print(validate_ema(ema, loader))
    """
    assert codes_and_lines(check_code(ema.format(eval=""), select=("BN1",))) == [("BN101", 10)]
    # ... unless __init__ puts the copy in eval (timm's ModelEmaV2)
    assert check_code(ema.format(eval="\n        self.module.eval()"), select=("BN1",)) == []


def test_apply_with_a_batchnorm_eval_function_is_a_freeze():
    code = """
        import torch, torchvision
        import torch.nn as nn
        def set_bn_eval(m):
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        model = torchvision.models.resnet18()
        for enc in (model.conv1, model.layer1):
            enc.apply(set_bn_eval)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(3):
            model.train(){again}
            for x, y in loader:
                loss = model(x).sum()
                opt.zero_grad(); loss.backward(); opt.step()
    """
    assert codes_and_lines(check_code(code.format(again=""), select=("BN1",))) == [("BN105", 11)]
    assert check_code(code.format(again="\n            model.layer1.apply(set_bn_eval)\n            model.conv1.apply(set_bn_eval)"),
                      select=("BN1",)) == []


def test_helper_reexported_by_a_package_init(tmp_path):
    """``from forecast import run_validation`` where forecast/__init__.py re-exports it from .validation."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "forecast").mkdir()
    (tmp_path / "forecast" / "__init__.py").write_text("from .validation import run_validation\n")
    (tmp_path / "forecast" / "validation.py").write_text(
        "import torch\n\ndef run_validation(model, loader):\n    model.eval()\n"
        "    with torch.no_grad():\n        return [model(x) for x in loader]\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom forecast import run_validation\n"
        "model = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nmodel.train()\n"
        "for epoch in range(3):\n    for x in loader:\n        loss = model(x).sum()\n"
        "        opt.zero_grad(); loss.backward(); opt.step()\n    run_validation(model, val_loader)\n"
    )
    result = run_cli("check", "--select", "BN1", "--no-cache", "--format", "json", "train.py", cwd=tmp_path)
    found = [(f["code"], f["line"]) for f in json.loads(result.stdout)]
    assert found == [("BN103", 11)], result.stdout + result.stderr


_PHASE_LOOP = """
    import torch
    import torch.nn as nn
    import torchvision

    def train_model(model, criterion, optimizer, loaders, num_epochs=25):
        for epoch in range(num_epochs):
            for phase in ['train', 'val']:
                if phase == 'train':
                    model.train(){else_eval}
                for inputs, labels in loaders[phase]:
                    optimizer.zero_grad()
                    with torch.set_grad_enabled(phase == 'train'):
                        outputs = model(inputs)
                        loss = criterion(outputs, labels)
                        if phase == 'train':
                            loss.backward()
                            optimizer.step()
        return model

    model = torchvision.models.resnet50(pretrained=True){freeze}
    model.fc = nn.Linear(model.fc.in_features, 2)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.001)
    train_model(model, nn.CrossEntropyLoss(), optimizer, loaders)
"""
_ELSE_EVAL = "\n                else:\n                    model.eval()"
_FREEZE = "\n    for param in model.parameters():\n        param.requires_grad = False"


@pytest.mark.parametrize("else_eval, freeze, expected", [
    # the official recipe's phases, with only the new head given to the optimizer: the backbone is frozen by being
    # left out of it, yet its BatchNorm layers update in every 'train' phase (RULES.md BN105)
    (_ELSE_EVAL, "", [("BN105", 24)]),
    ("", "", [("BN101", 13), ("BN105", 22)]),  # the 'val' phase runs in the mode the 'train' phase left
    (_ELSE_EVAL, _FREEZE, [("BN105", 24)]),  # "fixed feature extractor": frozen, yet train() each epoch
])
def test_phase_loop_is_followed_per_phase(else_eval, freeze, expected):
    """``if phase == 'train':`` tested twice in one loop body: the mode set under the first test is the
    mode at the training step under the second, and at the forward pass when gradients are off."""
    code = _PHASE_LOOP.format(else_eval=else_eval, freeze=freeze)
    assert codes_and_lines(check_code(code, select=("BN1",))) == expected


_RUN_EPOCH = """
    import torch
    import torch.nn as nn

    def run_epoch(model, loader, optimizer, train{default}):
        if train:
            model.train(){else_eval}
        with torch.set_grad_enabled(train):
            for x, y in loader:
                loss = nn.functional.cross_entropy(model(x), y)
                if train:
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

    model = nn.Sequential(nn.Linear(10, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        run_epoch(model, train_loader, optimizer{first})
        {second}
"""


@pytest.mark.parametrize("default, else_eval, first, second, expected", [
    ("", "", ", True", "run_epoch(model, val_loader, optimizer, train=False)", [("BN101", 9)]),
    ("", "\n    else:\n        model.eval()", ", True", "run_epoch(model, val_loader, optimizer, False)", []),
    # never called with gradients off: no evaluation path shown
    ("", "", ", train=True", "pass", []),
    ("=True", "", "", "pass", []),
    # the default turns gradients off
    ("=False", "", ", train=True", "run_epoch(model, val_loader, optimizer)", [("BN101", 9)]),
])
def test_flag_parameter_paths(default, else_eval, first, second, expected):
    code = _RUN_EPOCH.format(default=default, else_eval=else_eval, first=first, second=second)
    assert codes_and_lines(check_code(code, select=("BN1",))) == expected


def test_a_helper_taking_models_as_star_args_is_not_followed(tmp_path):
    """``with eval_mode(model):`` where ``def eval_mode(*nets)`` (monai): the model goes into ``*nets``,
    which the summary does not follow, so its mode is unknown there, not the mode it had before."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text(
        "from contextlib import contextmanager\n\n@contextmanager\ndef eval_mode(*nets):\n"
        "    for n in nets:\n        n.eval()\n    yield nets\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torchvision\nfrom helpers import eval_mode\n"
        "model = torchvision.models.resnet18()\nmodel.train()\n"
        "with eval_mode(model):\n    with torch.no_grad():\n        out = model(torch.randn(2, 3, 8, 8))\n"
    )
    result = run_cli("check", "--select", "BN1", "--no-cache", "--format", "json", "train.py", cwd=tmp_path)
    assert json.loads(result.stdout) == [], result.stdout + result.stderr


@pytest.mark.parametrize("after_train, expected", [("", [("BN105", 5)]), ("\n        encoder.eval()", [])])
def test_frozen_encoder_inside_a_sequential_trains_with_it(after_train, expected):
    """``model = nn.Sequential(encoder, head)``: ``model.train()`` puts the frozen encoder in training mode."""
    code = f"""
        import torch
        import torch.nn as nn
        import torchvision
        encoder = torchvision.models.resnet18()
        encoder.requires_grad_(False)
        head = nn.Linear(1000, 10)
        model = nn.Sequential(encoder, head).to("cuda")
        optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
        for epoch in range(10):
            model.train(){after_train}
            for x, y in loader:
                loss = nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    """
    assert codes_and_lines(check_code(code, select=("BN1",))) == expected


_SEGNET = """\
import torch.nn as nn


class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.encoder(x))

    def freeze_bn(self):
        for m in self.encoder.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
"""
_FINETUNE = """\
import torch
import torch.nn as nn
{import_line}

model = SegNet().to("cuda")
model.freeze_bn()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.train(){refreeze}
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


@pytest.mark.parametrize("same_file", [True, False])
@pytest.mark.parametrize("refreeze, expected", [("", [("BN105", 9)]), ("\n    model.freeze_bn()", [])])
def test_freeze_bn_method_of_a_project_class_undone_by_train(tmp_path, same_file, refreeze, expected):
    """``model.freeze_bn()`` (a method of the model's own class, here or in models/segnet.py) puts the
    BatchNorm layers in eval once; ``model.train()`` each epoch undoes it."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "segnet.py").write_text(_SEGNET)
    train = _FINETUNE.format(import_line="from models.segnet import SegNet", refreeze=refreeze)
    if same_file:
        train = _SEGNET + train.replace("import torch.nn as nn\nfrom models.segnet import SegNet\n", "")
    (tmp_path / "train.py").write_text(train)
    result = run_cli("check", "--select", "BN1", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    offset = len(_SEGNET.splitlines()) - 2 if same_file else 0
    found = [(f["code"], f["line"] - offset) for f in json.loads(result.stdout)]
    assert found == expected, result.stdout + result.stderr


def test_an_ema_holder_stored_on_self_is_not_an_internal_error():
    """``self.ema = ModelEMA(self.model)`` in a method: the EMA copy is followed under a dotted key
    (this raised a libcst validation error once, exit 2)."""
    code = """
        import copy
        import torch
        import torchvision

        class ModelEMA:
            def __init__(self, model):
                self.module = copy.deepcopy(model)

        class Trainer:
            def __init__(self):
                self.model = torchvision.models.resnet18()
                self.ema = ModelEMA(self.model)
                self.model.eval()

            @torch.no_grad()
            def evaluate(self, x):
                return self.ema.module(x)
    """
    assert check_code(code, select=("BN1",)) == []


@pytest.mark.parametrize("built, between, expected", [
    ("Trainer(Net())", "", [("BN101", 19)]),  # a module only the trainer holds, stored through `.to(device)`
    ("Trainer(Net())", "trainer.model.eval()\n", []),
    ("Trainer(net)", "", [("BN101", 19)]),
    ("Trainer(net)", "net.eval()\n", []),  # the trainer's model, put in eval under its other name
    ("Trainer(net)", "net = Net()\nnet.eval()\n", [("BN101", 19)]),  # a new module: the trainer's is unchanged
])
def test_a_trainer_of_this_file_holds_the_model_it_is_given(built, between, expected):
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm1d(4)\n\n"
        "class Trainer:\n    def __init__(self, model, device='cpu'):\n        self.model = model.to(device)\n\n"
        "    def fit(self, x):\n        self.model.train()\n        self.model(x).sum().backward()\n\n"
        "    @torch.no_grad()\n    def predict(self, x):\n        return self.model(x).argmax(1)\n\n"
        f"net = Net()\ntrainer = {built}\ntrainer.fit(torch.randn(8, 4))\n{between}"
        "print(trainer.predict(torch.randn(8, 4)))\n"
    )
    assert codes_and_lines(check_code(code, select=("BN101",))) == expected


def test_a_part_changing_mode_leaves_the_other_parts_as_they_were():
    """``self.model.eval()`` in a method marks ``self`` mixed, not every part of it unknown: the caller
    still knows ``self.ema.module`` (and an in-place tensor op given ``self.decay`` changes no mode)."""
    code = """
        import copy
        import torch
        import torch.nn as nn

        class Trainer:
            def __init__(self):
                self.model = nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm1d(4))
                self.ema = copy.deepcopy(self.model)
                self.decay = 0.99

            def step(self, x):
                self.model.train()
                self.model(x).sum().backward()
                for e, p in zip(self.ema.parameters(), self.model.parameters()):
                    e.mul_(self.decay)
                self.model.eval()

            @torch.no_grad()
            def evaluate(self, x):
                return self.ema(x).argmax(1)

            def fit(self, x):
                for _ in range(3):
                    self.step(x)
                    self.evaluate(x)

        Trainer().fit(torch.randn(8, 4))
    """
    assert codes_and_lines(check_code(code, select=("BN101",))) == [("BN101", 20)]
    fixed = code.replace("self.model.eval()", "self.model.eval()\n                self.ema.eval()")
    assert check_code(fixed, select=("BN101",)) == [] and check_code(fixed) == []


@pytest.mark.parametrize("optimizer, expected", [
    ("opt = torch.optim.SGD(model.parameters(), lr=0.1)", [("BN101", 16)]),
    ("opt = make_optimizer()", []),  # nothing shows `model` is a module
])
def test_a_factory_model_whose_parameters_are_optimised_is_a_module(optimizer, expected):
    """``create_model()`` of unknown content, trained by a helper: a module (MAYBE) once an optimizer
    takes its parameters, so the helper's ``.train()`` is followed to the evaluation after it."""
    code = f"""
        import torch
        from registry import create_model

        def train_one_epoch(model, opt):
            model.train()
            for x, y in []:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()

        model = create_model("seg_s").to("cuda")
        {optimizer}
        train_one_epoch(model, opt)
        with torch.no_grad():
            for x, _ in val_loader:
                print(model(x).argmax(1))
    """
    assert codes_and_lines(check_code(code, select=("BN101",))) == expected


@pytest.mark.parametrize("validate, expected", [("", [("BN101", 8)]), ("    ema.module.eval()\n", [])])
def test_an_ema_class_imported_from_another_file(tmp_path, validate, expected):
    """``ema = ModelEma(model)`` with ``ModelEma`` (which deep-copies the model) in the project's ema.py."""
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "ema.py").write_text(
        "import copy\n\nclass ModelEma:\n    def __init__(self, model, decay=0.999):\n"
        "        self.module = copy.deepcopy(model)\n        self.decay = decay\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torchvision\nfrom ema import ModelEma\n\n"
        "@torch.no_grad()\ndef validate(ema, loader):\n" + validate
        + "    for x, y in loader:\n        print(ema.module(x).argmax(1))\n\n"
        "model = torchvision.models.resnet18()\nema = ModelEma(model)\nvalidate(ema, [])\n"
    )
    result = Checker(Settings(root=str(tmp_path), select=("BN101",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected


@pytest.mark.parametrize("before_export, expected", [("", [("BN104", 9)]), ("    net.eval()\n", [])])
def test_a_trainer_class_of_another_file_holds_the_model_it_is_given(tmp_path, before_export, expected):
    """``Trainer(net, ...).fit()`` with Trainer in engine.py: ``fit`` leaves ``net`` in training mode."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "engine.py").write_text(
        "import torch.nn.functional as F\n\nclass Trainer:\n"
        "    def __init__(self, model, optimizer, loader):\n"
        "        self.model = model\n        self.optimizer = optimizer\n        self.loader = loader\n\n"
        "    def fit(self):\n        self.model.train()\n        for x, y in self.loader:\n"
        "            F.cross_entropy(self.model(x), y).backward()\n            self.optimizer.step()\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom engine import Trainer\n\n"
        "def main(loader):\n    net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "    Trainer(net, torch.optim.SGD(net.parameters(), lr=0.1), loader).fit()\n"
        f"{before_export}    x = torch.randn(1, 3, 32, 32)\n    torch.jit.trace(net, x).save('net.pt')\n"
    )
    result = Checker(Settings(root=str(tmp_path), select=("BN1",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected


def test_accelerate_helpers_leave_the_mode_alone():
    code = """
        import torch.nn.functional as F
        from accelerate import Accelerator

        class Trainer:
            def __init__(self, model, optimizer, loader):
                self.accelerator = Accelerator()
                self.model, self.optimizer, self.loader = self.accelerator.prepare(model, optimizer, loader)

            def fit(self, epochs):
                self.model.train()
                for epoch in range(epochs):
                    for step, (x, y) in enumerate(self.loader):
                        with self.accelerator.accumulate(self.model):
                            self.accelerator.backward(F.cross_entropy(self.model(x), y))
                            self.optimizer.step()
                        if step % 500 == 0:
                            self.model.eval()
    """
    assert codes_and_lines(check_code(code, select=("BN103",))) == [("BN103", 17)]


def test_a_mode_restored_in_finally_after_a_return():
    """``validate`` returns from inside ``try`` and restores the saved mode in ``finally``: no BN103."""
    code = """
        import torch

        def validate(model, loader):
            was_training = model.training
            model.eval()
            try:
                with torch.no_grad():
                    return sum(model(x).sum() for x in loader)
            finally:
                model.train(was_training)

        def fit(model, loader, opt, epochs):
            model.train()
            for epoch in range(epochs):
                for x in loader:
                    model(x).sum().backward()
                    opt.step()
                score = validate(model, loader)
    """
    assert check_code(code, select=("BN103",)) == []
    assert codes_and_lines(check_code(code.replace("model.train(was_training)", "pass"), select=("BN103",))) == [("BN103", 18)]


@pytest.mark.parametrize("restore, expected", [("", [("BN103", 19)]), ("    model.train()\n", [])])
def test_a_nested_helper_acts_on_the_enclosing_functions_model(restore, expected):
    """``def run_eval(): model.eval() ...`` inside ``main``: ``model`` is main's variable."""
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "def main(loader, steps):\n"
        "    model = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n\n"
        "    def run_eval():\n        model.eval()\n        with torch.no_grad():\n"
        "            out = [model(x) for x in loader]\n"
        f"{restore.replace('    model', '        model')}        return out\n\n"
        "    model.train()\n    for step, x in enumerate(loader):\n"
        "        model(x).sum().backward()\n        opt.step()\n"
        "        if step % 100 == 0:\n            run_eval()\n"
    )
    assert codes_and_lines(check_code(code, select=("BN103",))) == expected


@pytest.mark.parametrize("before, expected", [
    ("pass", [("BN104", 16)]),  # getattr(model, name): a part of the model, in its mode
    ("model.eval()", []),
])
def test_fusion_of_parts_named_by_getattr(before, expected):
    code = f"""
        import torch.nn as nn
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 8, 3, bias=False)
                self.bn1 = nn.BatchNorm2d(8)

            def forward(self, x):
                return self.bn1(self.conv1(x))

        model = Net()
        {before}
        for conv, bn in [("conv1", "bn1")]:
            fused = fuse_conv_bn_eval(getattr(model, conv), getattr(model, bn))
            setattr(model, conv, fused)
            setattr(model, bn, nn.Identity())
    """
    assert codes_and_lines(check_code(code, select=("BN104",))) == expected


@pytest.mark.parametrize("extra, expected", [
    ("", [("BN101", 9)]),  # the handler runs after the module's code, which leaves `model` in training mode
    ("model.eval()\n", []),
    ("def reload():\n    model.load_state_dict(torch.load('w.pt'))\n    model.eval()\n", []),  # order unknown
    ("handle(torch.zeros(2, 4))\n", [("BN101", 9)]),  # called here: the mode at that call
    ("model.eval()\nhandle(torch.zeros(2, 4))\n", []),
])
def test_a_handler_reading_a_module_level_model(extra, expected):
    """A web handler or callback nobody in the file calls sees the model as the module's code leaves it."""
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "model = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))\n\n\n"
        "def handle(x):\n    with torch.no_grad():\n        return model(x).argmax(1).tolist()\n\n\n"
        + extra
    )
    assert codes_and_lines(check_code(code, select=("BN101",))) == expected


@pytest.mark.parametrize("blocks_extra, expected", [
    ("", [("BN101", 6)]),  # `model.scaler(x)` runs a submodule: the model stays as built
    ("\n\ndef scaler(x):\n    return x\n", [("BN101", 6)]),  # a function of that name is not a method
])
def test_a_helper_calling_a_submodule_of_its_model(tmp_path, blocks_extra, expected):
    """An imported class built around an imported helper of the project (``tower``) holds BatchNorm,
    and ``model.scaler(x)`` (an attribute the class sets to a module) does not change the model's mode."""
    (tmp_path / "blocks.py").write_text(
        "import torch.nn as nn\n\n"
        "def tower(dims):\n"
        "    return nn.Sequential(*[nn.Sequential(nn.Linear(a, b, bias=False), nn.BatchNorm1d(b))\n"
        "                           for a, b in zip(dims[:-1], dims[1:])])\n" + blocks_extra
    )
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\nfrom blocks import tower\n\n"
        "class AE(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.scaler = nn.Identity()\n"
        "        self.encoder = tower([8, 4])\n\n"
        "    def forward(self, x):\n"
        "        return self.encoder(self.scaler(x))\n"
    )
    (tmp_path / "score.py").write_text(
        "import torch\nfrom model import AE\n\n"
        "def scores(model, x):\n"
        "    with torch.no_grad():\n"
        "        return (model(x) - model.scaler(x)).pow(2).mean(1)\n\n"
        "model = AE()\nprint(scores(model, torch.load('x.pt')))\n"
    )
    found = Checker(Settings(select=("BN101",)), Project(str(tmp_path))).check_path(str(tmp_path / "score.py")).findings
    assert [(f.code, f.line) for f in found] == expected


def test_a_method_of_the_models_class_may_set_its_mode(tmp_path):
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.body = nn.Sequential(nn.Linear(8, 4, bias=False), nn.BatchNorm1d(4))\n\n"
        "    def prepare(self):\n"
        "        self.eval()\n"
    )
    (tmp_path / "score.py").write_text(
        "import torch\nfrom model import Net\n\n"
        "def scores(model, x):\n"
        "    model.prepare()\n"
        "    with torch.no_grad():\n"
        "        return model(x)\n\n"
        "model = Net()\nprint(scores(model, torch.load('x.pt')))\n"
    )
    found = Checker(Settings(select=("BN101",)), Project(str(tmp_path))).check_path(str(tmp_path / "score.py")).findings
    assert found == []


def test_a_frozen_encoder_is_reported_though_validation_leaves_the_model_in_eval():
    """The first epoch trains the frozen encoder's BatchNorm; `validate` leaving eval on later epochs is
    BN103's finding, not an excuse for BN105."""
    code = """
        import torch
        import torch.nn as nn

        class Classifier(nn.Module):
            def __init__(self, encoder):
                super().__init__()
                self.encoder = encoder
                self.head = nn.Linear(8, 2)

            def forward(self, x):
                return self.head(self.encoder(x))

        def validate(model, loader):
            model.eval()
            with torch.no_grad():
                return sum(model(x).argmax(1).sum() for x in loader)

        def main(train_loader, val_loader):
            encoder = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))
            for p in encoder.parameters():
                p.requires_grad = False
            model = Classifier(encoder)
            opt = torch.optim.SGD(model.head.parameters(), lr=0.1)
            model.train()
            for epoch in range(10):
                for x in train_loader:
                    model(x).sum().backward()
                    opt.step()
                validate(model, val_loader)
    """
    assert codes_and_lines(check_code(code, select=("BN103", "BN105"))) == [("BN105", 21), ("BN103", 29)]


@pytest.mark.parametrize("freeze, expected", [
    # blocks of a container frozen and put in eval, in a loop over (a slice of) it: undone by `.train()`
    ("for block in d.features[:1]:\n    block.requires_grad_(False)\n    block.eval()", [("BN105", 23)]),
    ("for i, block in enumerate(d.features):\n    if i < 1:\n        block.requires_grad_(False)\n"
     "        block.eval()", [("BN105", 24)]),
    # the same in a helper: reported where it freezes (its eval leaves some blocks as they were)
    ("freeze_lower(d, 1)", [("BN105", 13)]),
])
def test_blocks_of_a_container_frozen_in_a_loop(freeze, expected):
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "class D(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.features = nn.Sequential(*[nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "                                        for _ in range(3)])\n\n"
        "def freeze_lower(D, n):\n"
        "    for i, block in enumerate(D.features):\n"
        "        if i < n:\n"
        "            block.requires_grad_(False)\n"
        "            block.eval()\n\n"
        "def main(loader):\n"
        "    G, d = nn.Linear(2, 2), D()\n"
        + "".join(f"    {line}\n" for line in freeze.splitlines())
        + "    opt = torch.optim.Adam([p for p in d.parameters() if p.requires_grad])\n"
        "    for epoch in range(3):\n"
        "        d.train()\n"
        "        for x in loader:\n"
        "            d.features(x).mean().backward()\n"
        "            opt.step()\n"
    )
    assert codes_and_lines(check_code(code, select=("BN105",))) == expected


@pytest.mark.parametrize("select_action, expected", [
    # epsilon-greedy: the action comes from the model's argmax under no_grad, in training mode
    ("with torch.no_grad():\n    action = int(q_net(obs).argmax(1).item())", [("BN101", 11)]),
    # pseudo-labels (FixMatch): the argmax feeds the loss, so this forward is part of the training step
    ("with torch.no_grad():\n    action = q_net(obs).argmax(1)\nloss = loss + (q_net(obs) - action).pow(2).mean()", []),
])
def test_an_action_picked_from_the_argmax_in_a_training_loop(select_action, expected):
    code = (
        "import torch\nimport torch.nn as nn\n\n"
        "def train(env, steps, buffer):\n"
        "    q_net = nn.Sequential(nn.Linear(4, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))\n"
        "    opt = torch.optim.Adam(q_net.parameters())\n"
        "    q_net.train()\n"
        "    obs = env.reset()\n"
        "    for step in range(steps):\n"
        + "".join(f"        {line}\n" for line in select_action.splitlines()[:2])
        + "        obs = env.step(action)\n"
        "        x, y = buffer.sample(32)\n"
        "        loss = (q_net(x) - y).pow(2).mean()\n"
        + "".join(f"        {line}\n" for line in select_action.splitlines()[2:])
        + "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n"
    )
    assert codes_and_lines(check_code(code, select=("BN101",))) == expected


_WRAPPED = """
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.encoder(x))


net = Net()
net.encoder.requires_grad_(False)
model = DDP(net.cuda(), device_ids=[0]){convert}
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x in loader:
    model.train(){refreeze}
    model(x).mean().backward()
    opt.step()
"""


@pytest.mark.parametrize("convert", ["", "\nmodel = nn.SyncBatchNorm.convert_sync_batchnorm(model)"])
def test_train_on_a_wrapper_sets_the_module_it_wraps(convert):
    """``model = DDP(net)`` (also re-wrapped by ``convert_sync_batchnorm``): ``model.train()`` puts ``net``'s
    BatchNorm in training mode, so a freeze of ``net`` that is not redone after it is BN105; redone, clean."""
    code = _WRAPPED.format(convert=convert, refreeze="")
    assert [c for c, _ in codes_and_lines(check_code(code, select=("BN105",)))] == ["BN105"]
    fixed = _WRAPPED.format(convert=convert, refreeze="\n    net.encoder.eval()")
    assert codes_and_lines(check_code(fixed, select=("BN105",))) == []


_LIGHTNING_MODULE = """
import torch
import torch.nn as nn
import torch.nn.functional as F
import lightning as L


class Net(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.backbone(x).mean((2, 3)))

    def on_train_epoch_start(self):
        if self.current_epoch < 3:
            self.backbone.requires_grad_(False){refreeze}
        else:
            self.backbone.requires_grad_(True)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.cross_entropy(self(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("acc", (self(x).argmax(1) == y).float().mean())


def load_for_inference(path):
    model = Net()
    model.load_state_dict(torch.load(path)["state_dict"]){eval}
    return model


@torch.no_grad()
def predict(path, images):
    model = load_for_inference(path)
    return model(images).argmax(1)
"""


def test_a_lightning_module_is_a_module_outside_the_trainer_too():
    """Built and called by plain code, a LightningModule is in training mode like any nn.Module (BN101);
    frozen in a hook, its BatchNorm trains under Lightning's ``.train()`` (BN105). Inside the class,
    Lightning sets the modes (``validation_step``: no finding)."""
    code = _LIGHTNING_MODULE.format(refreeze="", eval="")
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN105", 18), ("BN101", 40)]
    fixed = _LIGHTNING_MODULE.format(refreeze="\n            self.backbone.eval()", eval="\n    model.eval()")
    assert codes_and_lines(check_code(fixed, select=("BN1",))) == []


_BN_FREEZE_HELPER = """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)


def freeze_batchnorm(net):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def train_one_epoch(net, loader, optimizer):
    net.train(){refreeze}
    for x in loader:
        net(x).mean().backward()
        optimizer.step()


freeze_batchnorm(model)
for epoch in range(10):
    train_one_epoch(model, loader, opt)
    train_one_epoch(model, loader, opt)
"""


def test_a_bn_freeze_undone_by_the_train_of_a_training_helper():
    """``freeze_batchnorm(model)`` and then each epoch's ``train_one_epoch(model, ...)``, which starts with
    ``net.train()``: one BN105, at that ``.train()``; the helper freezing again after it is clean."""
    found = check_code(_BN_FREEZE_HELPER.format(refreeze=""), select=("BN105",))
    assert codes_and_lines(found) == [("BN105", 17)] and "train_one_epoch()" in found[0].message
    assert check_code(_BN_FREEZE_HELPER.format(refreeze="\n    freeze_batchnorm(net)"), select=("BN105",)) == []


def test_copying_weights_into_a_module_keeps_its_mode():
    """A helper that writes a module's tensors (``bn.running_mean.copy_(...)``, ``conv.weight.data.copy_``)
    changes no mode: the export after it is of a model still in training mode (BN104)."""
    code = """
        import torch
        import torch.nn as nn

        def copy_bn(bn, w):
            bn.weight.data.copy_(w["gamma"])
            bn.running_mean.copy_(w["mean"])
            bn.running_var.copy_(w["var"])

        def convert(model, w):
            model[0].weight.data.copy_(w["kernel"])
            copy_bn(model[1], w)

        model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        with torch.no_grad():
            convert(model, {})
        torch.onnx.export(model, torch.randn(1, 3, 32, 32), "m.onnx")
    """
    assert codes_and_lines(check_code(code, select=("BN104",))) == [("BN104", 16)]



@pytest.mark.parametrize("reader, flagged", [
    ("config = resolve_data_config({}, model=self.model)", True),  # (timm reads the model's data config)
    ("optimizer = create_optimizer_v2(self.model, 'adamw')", True),  # (timm reads its parameters)
    ("config = resolve_data_config({}, model=self.model)\n        self.model.eval()", False),
    ("config = read_config(self.model)", False),  # (a library function not known to keep modes: may set one)
])
def test_a_library_function_that_reads_a_model_keeps_its_mode(reader, flagged):
    """timm's inference recipe reads the preprocessing config from the model (knowledge/model_readers): the model
    is in the mode it was built in after it, training mode, at the embedding under ``no_grad``."""
    code = f"""
import torch
from timm import create_model
from timm.data import resolve_data_config
from timm.optim import create_optimizer_v2
from imagekit import read_config


class Encoder:
    def __init__(self, name="resnet18"):
        self.model = create_model(name, pretrained=True, num_classes=0)
        {reader}

    def embed(self, batch):
        with torch.no_grad():
            return self.model(batch).numpy()
"""
    found = codes_and_lines(check_code(code, select=("BN101",)))
    line = code.lstrip("\n").splitlines().index("            return self.model(batch).numpy()") + 1
    assert found == ([("BN101", line)] if flagged else [])

_SERVER = """
import torch
import torchvision


class Predictor:
    def __init__(self, path):
        net = torchvision.models.resnet18()
        net.load_state_dict(torch.load(path)){eval}
        self.model = net

    def predict(self, batch):
        with torch.inference_mode():
            return self.model(batch).argmax(1)
"""


@pytest.mark.parametrize("extra, expected", [("", [("BN101", 13)]), ("\n        net.eval()", []),
                                             ("PLACEHOLDER", [])])
def test_a_handler_method_sees_the_model_as_init_leaves_it(extra, expected):
    """A predictor or server class (not an nn.Module) whose handler a framework calls: ``self.model`` is as
    ``__init__`` leaves it when nothing else in the file changes its mode or hands it on."""
    code = _SERVER.format(eval=extra if extra != "PLACEHOLDER" else "")
    if extra == "PLACEHOLDER":  # the mode is set from outside the class: not at rest
        code += "\np = Predictor('w.pt')\np.model.eval()\n"
    assert codes_and_lines(check_code(code, select=("BN101",))) == expected


def test_a_train_override_seen_through_the_caller_of_a_freezing_helper():
    """``freeze(model)`` freezes a part of a model whose class overrides ``train()`` to keep that part's
    BatchNorm in eval: the caller's model is looked at, so no BN105."""
    code = """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
                self.head = nn.Conv2d(8, 2, 1)
                self.frozen = False

            def forward(self, x):
                return self.head(self.backbone(x))

            def train(self, mode=True):
                super().train(mode)
                if self.frozen:
                    self.backbone.eval()
                return self

        def freeze(model):
            for p in model.backbone.parameters():
                p.requires_grad = False
            model.frozen = True

        def fit(model, loader, opt):
            freeze(model)
            for x in loader:
                model.train()
                model(x).mean().backward()
                opt.step()

        net = Net()
        net = fit(net, [], None)
    """
    assert check_code(code, select=("BN105",)) == []
    plain = code.replace("            def train(self, mode=True):\n                super().train(mode)\n"
                         "                if self.frozen:\n                    self.backbone.eval()\n"
                         "                return self\n", "")
    assert [c for c, _ in codes_and_lines(check_code(plain, select=("BN105",)))] == ["BN105"]


def test_a_momentum_encoder_is_no_frozen_module():
    """MoCo's key encoder: ``requires_grad = False`` and updated in place from the query encoder's weights,
    run in training mode by design; without the momentum update the same freeze is BN105."""
    code = """
        import copy
        import torch
        import torch.nn as nn

        class MoCo(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder_q = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
                self.encoder_k = copy.deepcopy(self.encoder_q)
                for p in self.encoder_k.parameters():
                    p.requires_grad = False

            @torch.no_grad()
            def _momentum_update(self, m=0.999):
                for pk, pq in zip(self.encoder_k.parameters(), self.encoder_q.parameters()):
                    pk.data.mul_(m).add_(pq.data, alpha=1 - m)

            def forward(self, a, b):
                q = self.encoder_q(a)
                with torch.no_grad():
                    self._momentum_update()
                    k = self.encoder_k(b)
                return (q * k).sum()

        model = MoCo()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for a, b in loader:
            model.train()
            model(a, b).backward()
            opt.step()
    """
    assert check_code(code, select=("BN105",)) == []
    updated = "pk.data.mul_(m).add_(pq.data, alpha=1 - m)"
    assert [c for c, _ in codes_and_lines(check_code(code.replace(updated, "pass"), select=("BN105",)))] == ["BN105"]


def test_a_model_class_of_another_library_is_not_a_handler_class():
    """``class Wrapper(SomePreTrainedModel)`` (or one with a ``forward``) is a module whose parts follow its
    own mode, which its users set: its methods get no mode from ``__init__``."""
    code = _SERVER.format(eval="").replace("class Predictor:", "class Predictor(SpeechPreTrainedModel):")
    assert check_code(code, select=("BN101",)) == []
    code = _SERVER.format(eval="") + "\n    def forward(self, x):\n        return self.model(x)\n"
    assert check_code(code, select=("BN101",)) == []


def test_a_loop_over_named_modules_runs_for_each():
    """``for m in (stem, head): m.eval()`` puts each in eval; a module left out of the tuple is not."""
    code = """
        import torch
        import torch.nn as nn
        stem = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        head = nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8))
        for m in (stem, head):
            m.eval()
        with torch.no_grad():
            y = stem(torch.randn(2, 3, 8, 8))
            z = head(y)
    """
    assert check_code(code, select=("BN101",)) == []
    assert codes_and_lines(check_code(code.replace("(stem, head)", "(stem,)"), select=("BN101",))) == [("BN101", 9)]


_SERVED = """
import torch
import torch.nn as nn
from flask import Flask

app = Flask(__name__)
model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
model.load_state_dict(torch.load("weights.pt"))


@app.route("/predict")
def predict():
    with torch.no_grad():
        return model(torch.zeros(1, 3, 8, 8)).tolist()
"""


@pytest.mark.parametrize("where, expected", [
    ("tests/work/app.py", [("BN101", 14)]),  # a `tests` folder above the project's root does not count
    ("proj/app.py", [("BN101", 14)]),
    ("proj/tests/app.py", []),  # a test module: fixtures may set the module-level model's mode
    ("proj/test_app.py", []),
])
def test_a_handler_of_a_test_file_is_not_taken_at_rest(tmp_path, where, expected):
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    root = path.parent if path.parent.name != "tests" else path.parent.parent
    (root / "pyproject.toml").write_text("")
    path.write_text(_SERVED)
    for shown in (str(path), str(path.relative_to(tmp_path))):  # absolute or relative, the same answer
        result = run_cli("check", "--no-cache", "--select", "BN101", "--format", "json", shown, cwd=tmp_path)
        assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == expected, (shown, result.stderr)


def test_a_model_built_by_a_factory_of_an_imported_package(tmp_path):
    """``import models`` then ``models.build_model(arch)``, whose registry dict holds builders of
    BatchNorm models from the package's modules: evaluated without eval (BN101)."""
    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "models"
    package.mkdir()
    (package / "resnet.py").write_text(
        "import torch.nn as nn\n\ndef resnet18(num_classes=10):\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(num_classes))\n")
    (package / "__init__.py").write_text(
        "from .resnet import resnet18\n\nMODELS = {'resnet18': resnet18}\n\n"
        "def build_model(arch, num_classes=10):\n    return MODELS[arch](num_classes=num_classes)\n")
    (tmp_path / "test.py").write_text(
        "import torch\nimport models\n\nmodel = models.build_model('resnet18')\n"
        "with torch.no_grad():\n    out = model(torch.zeros(2, 3, 8, 8))\n")
    result = run_cli("check", "--no-cache", "--select", "BN101", "--format", "json", "test.py", cwd=tmp_path)
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == [("BN101", 6)], result.stderr


@pytest.mark.parametrize("loader_body, flagged", [
    ("        state = torch.load(path)\n        self.load_state_dict(state, strict=False)\n", True),
    ("        self.load_state_dict(torch.load(path))\n        self.eval()\n", False),  # it sets a mode
    ("        self.load_state_dict(torch.load(path))\n        self.freeze_stem()\n", False),  # another method
])
def test_a_method_of_a_class_in_another_file_that_keeps_modes(tmp_path, loader_body, flagged):
    """`model.backbone.load_pretrained(path)` in a builder: read from the other file's text, not parsed."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "backbone.py").write_text(
        "import torch\nimport torch.nn as nn\n\nclass Backbone(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))\n\n"
        "    def freeze_stem(self):\n        self.body[0].requires_grad_(False)\n\n"
        "    def load_pretrained(self, path):\n" + loader_body
    )
    (tmp_path / "segnet.py").write_text(
        "import torch.nn as nn\nfrom backbone import Backbone\n\nclass SegNet(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.backbone = Backbone()\n\n"
        "def build_model(ckpt=None):\n    model = SegNet()\n    if ckpt is not None:\n"
        "        model.backbone.load_pretrained(ckpt)\n    return model\n"
    )
    (tmp_path / "infer.py").write_text(
        "import torch\nfrom segnet import build_model\n\ndef main(x):\n    model = build_model('w.pt')\n"
        "    with torch.inference_mode():\n        return model(x)\n"
    )
    result = run_cli("check", "--select", "BN101", "--format", "json", "--no-cache", "infer.py", cwd=tmp_path)
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == ([("BN101", 7)] if flagged else [])


def _training_questions(monkeypatch, code: str, functions: tuple[str, ...]) -> list[str]:
    """The calls whose training steps the mode flow asks about while it summarises ``functions``."""
    import libcst as cst

    from bn_lint.semantic.file.model import FileModel
    from bn_lint.semantic.modes import ModeAnalysis
    from bn_lint.semantic.modes.training_steps import TrainingSteps

    asked: list[str] = []
    real = TrainingSteps.is_training_call
    monkeypatch.setattr(TrainingSteps, "is_training_call",
                        lambda self, call: asked.append(self.analysis.model.code(call)) or real(self, call))
    model = FileModel("models.py", code, cst.parse_module(code))
    analysis = model.analysis(ModeAnalysis)
    for name in functions:
        analysis.summary(model.functions[name])
    return asked


def test_a_function_given_only_numbers_strings_and_flags_asks_nothing_of_the_functions_it_calls(monkeypatch):
    """`_create(variant="resnet18", pretrained: bool = False)` calls `build(variant, pretrained)`: its
    parameters hold no module (their defaults and annotations say so), so what `build` does to the modes
    of what it is given is never asked (for timm's `build_model_with_cfg`, a parse of `_builder.py`)."""
    code = ("import torch\nfrom builder import build\n\n\n"
            "def _create(variant=\"resnet18\", pretrained: bool = False, size=224):\n"
            "    return build(variant, pretrained, size)\n\n\n"
            "def _wrap(model, scale: float = 1.0):\n    return build(model, scale)\n")
    # (`model` may be a module: that call is still looked into)
    assert _training_questions(monkeypatch, code, ("_create", "_wrap")) == ["build(model, scale)"]


def test_a_private_function_given_literals_by_every_call_follows_no_module_there(monkeypatch):
    """timm's `_create_resnet(variant, pretrained: bool = False, **kwargs)`, called only as
    `_create_resnet('resnet18', pretrained, **kwargs)`: `variant` is a name at every call, so its call
    of `build(variant, pretrained)` asks nothing; a public function, or one a call gives a variable, is
    still followed."""
    code = ("from builder import build\n\n\n"
            "def _create(variant, pretrained: bool = False, **kwargs):\n    return build(variant, pretrained, **kwargs)\n\n\n"
            "def create(variant):\n    return build(variant)\n\n\n"
            "def _wrap(net, scale: float = 1.0):\n    return build(net, scale)\n\n\n"
            "a = _create('resnet18', True, depth=2)\nb = _create(variant='resnet34')\nc = create('x')\n"
            "d = _wrap('x')\ne = _wrap(a)\n")
    asked = _training_questions(monkeypatch, code, ("_create", "create", "_wrap"))
    assert sorted(asked) == ["build(net, scale)", "build(variant)"]


def test_a_function_that_returns_its_own_call_is_followed_without_end():
    """What a function gives back is worked out when a caller asks; one that returns a call of itself
    (timm's ``_torch_load`` retries itself) asks again while that is worked out: not known, and no
    BN900 "nesting too deep" (a checkpoint from ``torch.load`` holds no mode to judge)."""
    code = """
        import torch

        def _torch_load(checkpoint_path, map_location="cpu", weights_only=True, mmap=False):
            load_kwargs = dict(map_location=map_location, weights_only=weights_only)
            try:
                return torch.load(checkpoint_path, **load_kwargs)
            except TypeError:
                if mmap:
                    return _torch_load(checkpoint_path, map_location=map_location, weights_only=weights_only)
                raise

        def load_state_dict(checkpoint_path, device="cpu"):
            checkpoint = _torch_load(checkpoint_path, map_location=device)
            return checkpoint

        def load_checkpoint(model, checkpoint_path):
            model.load_state_dict(load_state_dict(checkpoint_path))
    """
    assert codes_and_lines(check_code(code)) == []


_ARCH_PICKED = """
    import torch
    import torchvision
    from torch import nn

    def build_model(arch):
        if arch == "resnet18":
            model = torchvision.models.resnet18()
        elif arch == "resnet50":
            model = torchvision.models.resnet50(){other}
        return model

    def main(x, path):
        model = build_model("resnet18")
        model.load_state_dict(torch.load(path)){eval}
        with torch.no_grad():
            return model(x).argmax(1)
"""


def test_a_model_bound_in_if_elif_without_else_is_the_built_model_on_the_paths_that_bind_it():
    """The path through no branch leaves `model` unbound (a NameError), not a model of unknown mode."""
    code = _ARCH_PICKED.format(other="", eval="")
    assert codes_and_lines(check_code(code, select=("BN1",))) == [("BN101", 16)]
    assert check_code(_ARCH_PICKED.format(other="", eval="\n    model.eval()"), select=("BN1",)) == []
    # a path that binds it to something the flow does not follow is not unbound
    unknown = "\n    else:\n        model = torch.hub.load_state_dict_from_url(arch)"
    assert check_code(_ARCH_PICKED.format(other=unknown, eval=""), select=("BN1",)) == []


_LOADED_OR_BUILT = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(4)

        def forward(self, x):
            return self.bn(x)

    model = Net()
    try:
        model = torch.load("last.pth")
    except FileNotFoundError:
        pass{eval}
    with torch.no_grad():
        print(model(torch.randn(2, 4)).argmax(1))
"""


def test_the_path_where_a_load_fails_keeps_the_built_model_in_training_mode():
    """`try: model = torch.load(p) except: pass`: the loaded model's mode is unknown, the built one's is not."""
    findings = check_code(_LOADED_OR_BUILT.format(eval=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", 18)]
    assert "skips the load at line 14" in findings[0].message
    assert check_code(_LOADED_OR_BUILT.format(eval="\n    model.eval()"), select=("BN1",)) == []
    # loaded on every path: the mode it was saved in
    assert check_code(_LOADED_OR_BUILT.format(eval="").replace("    pass", "    model = torch.load('best.pth')"),
                      select=("BN1",)) == []


_HELD_BY_KEY = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(4)

        def forward(self, x):
            return self.bn(x)

    nets = {{"teacher": Net(), "student": Net()}}
    for name, net in nets.items():
        net.load_state_dict(torch.load(name + ".pt")){each}
    nets["teacher"].eval()
    with torch.no_grad():
        print(nets["teacher"](torch.randn(2, 4)).argmax(1))
        print(nets["student"](torch.randn(2, 4)).argmax(1))
"""


def test_a_model_held_in_a_dict_entry_has_the_mode_of_that_entry():
    """`nets['student']` is a place a model is held, as `self.student` is: the teacher's `.eval()` is not
    the student's; a loop over `nets.items()` reaches every entry."""
    findings = check_code(_HELD_BY_KEY.format(each=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", 18)]
    assert "nets['student']" in findings[0].message
    assert check_code(_HELD_BY_KEY.format(each="\n        net.eval()"), select=("BN1",)) == []


_CLOSURES = """
    import torch
    import torch.nn.functional as F
    from torch import nn

    def main(train_loader, val_loader):
        model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

        def train_epoch():
            model.train()
            for x, y in train_loader:
                F.cross_entropy(model(x), y).backward()
                optimizer.step()

        def validate():{eval}
            with torch.no_grad():
                return [model(x).argmax(1) for x, _ in val_loader]

        for epoch in range(3):
            train_epoch()
            print(validate())
"""


def test_an_evaluation_closure_runs_the_model_as_its_sibling_closure_left_it():
    """`validate()` nested in `main` reads `main`'s model: in the mode `train_epoch()` left it before the call."""
    findings = check_code(_CLOSURES.format(eval=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", 17)]
    assert "train_epoch()" in findings[0].message
    assert check_code(_CLOSURES.format(eval="\n            model.eval()"), select=("BN1",)) == []


_LIGHTNING_CALLBACK = """
    import pytorch_lightning as pl
    import torch
    from torch import nn

    class Net(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))

    class Probe(pl.Callback):
        def {hook}(self, trainer, pl_module):{eval}
            with torch.no_grad():
                print(pl_module(torch.randn(8, 4)).argmax(1))
"""


@pytest.mark.parametrize("hook, expected", [("on_train_epoch_end", [("BN101", 13)]),
                                            ("on_validation_epoch_end", []), ("on_fit_start", [])])
def test_a_framework_hook_runs_its_module_in_the_mode_the_framework_gives(hook, expected):
    """Lightning runs `on_train_epoch_end` in training mode, `on_validation_epoch_end` in eval mode; a hook
    the table does not hold stays the framework's business."""
    findings = check_code(_LIGHTNING_CALLBACK.format(hook=hook, eval=""), select=("BN1",))
    assert codes_and_lines(findings) == expected
    if expected:
        assert "Lightning runs `on_train_epoch_end()`" in findings[0].message
    assert check_code(_LIGHTNING_CALLBACK.format(hook=hook, eval="\n            pl_module.eval()"), select=("BN1",)) == []


_CALLBACK_LOOP = """
    import functools
    import torch
    import torch.nn.functional as F
    from torch import nn

    def validate(model, loader, epoch):
        model.eval()
        with torch.no_grad():
            print(epoch, [model(x).argmax(1) for x, _ in loader]){reset}

    def train(model, loader, optimizer, epochs, on_epoch_end=None):
        for epoch in range(epochs):
            for x, y in loader:
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
            if on_epoch_end is not None:
                on_epoch_end(epoch)

    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    val_loader = torch.load("val.pt")
    train(model, torch.load("train.pt"), torch.optim.SGD(model.parameters(), lr=0.1), 5, on_epoch_end={callback})
"""


@pytest.mark.parametrize("callback", ["lambda e: validate(model, val_loader, e)",
                                      "functools.partial(validate, model, val_loader)"])
def test_a_callback_parameter_runs_what_the_callers_give_it(callback):
    """`on_epoch_end(epoch)` in the training loop runs the lambda / partial the caller gives `train`, on the
    caller's `model`, which is `train`'s own `model`: its `.eval()` is never undone before the next step."""
    findings = check_code(_CALLBACK_LOOP.format(callback=callback, reset=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN103", 17)]
    assert check_code(_CALLBACK_LOOP.format(callback=callback, reset="\n        model.train()"), select=("BN1",)) == []


_LIGHTNING_FEATURES = """
    import pytorch_lightning as pl
    import torch
    from torch import nn

    class KNN(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
            self.bank = []

        @torch.no_grad()
        def training_step(self, batch, batch_idx):
            self.bank.append(self.model(batch[0]).argmax(1))
{start}
"""


def test_a_hook_the_framework_runs_first_sets_the_mode_a_later_hook_sees():
    """Lightning runs `on_train_epoch_start` after putting the module in training mode and before each
    `training_step`: its `self.model.eval()` holds there."""
    findings = check_code(_LIGHTNING_FEATURES.format(start=""), select=("BN1",))
    assert codes_and_lines(findings) == [("BN101", 13)]
    start = "    def on_train_epoch_start(self):\n            self.model.eval()"
    assert check_code(_LIGHTNING_FEATURES.format(start="    " + start), select=("BN1",)) == []


_GENERATOR = """
    import torch.nn as nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

        def forward(self, x):
            return self.body(x)

    class Pair(nn.Module):
        def __init__(self, G, D):
            super().__init__()
            self.G = G
            self.D = D

        def forward(self, z):
            return self.D(self.G(z))
    """

_EVAL_IN_LOOP = """
    import torch
    import torch.nn as nn
    {imports}

    def run(config, loader):
        {module}
        G = nets.Generator()
        pair = nets.Pair(G, nn.Conv2d(8, 1, 3))
        opt = torch.optim.Adam(pair.parameters())
        {step}
        for epoch in range(config["epochs"]):
            G.train()
            for z in loader:
                {train}
                if config["G_eval_mode"]:
                    G.eval()
    """


def _eval_line(folder) -> int:
    lines = (folder / "train.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == "G.eval()")


def test_a_closure_trains_the_modules_it_reads_and_a_factorys_closure_what_the_factory_is_given(tmp_path, write):
    """BigGAN (transfer case 1702): `train = make_step(...)` returns a closure that trains what it closes over;
    a closure defined in the training function itself reads that function's modules. Either trains the pair
    that holds `G` (a wrapper of another file, reached through its module: `nets.Pair(G, D)`): `G.eval()` later
    in the loop leaves the next step's `G` in eval."""
    from tests.conftest import run_cli

    write("nets.py", _GENERATOR)
    nested = "def step(z):\n            opt.zero_grad()\n            pair(z).mean().backward()\n            opt.step()"
    for step, train in ((nested, "step(z)"), ("step = steps.make_step(pair, opt)", "metrics = step(z)")):
        write("steps.py", """
            def make_step(model, opt):
                def step(z):
                    opt.zero_grad()
                    model(z).mean().backward()
                    opt.step()
                return step
            """)
        write("train.py", _EVAL_IN_LOOP.format(imports="import nets\n    import steps", module="", step=step, train=train))
        proc = run_cli("check", "--no-cache", "--select", "BN103", "--format", "concise", "train.py", cwd=tmp_path)
        assert f"train.py:{_eval_line(tmp_path)}:17: BN103".encode() in proc.stdout, (step, proc.stdout)
    # the factory's closure puts the model back in training mode itself: nothing to report
    write("steps.py", """
        def make_step(model, opt):
            def step(z):
                model.train()
                opt.zero_grad()
                model(z).mean().backward()
                opt.step()
            return step
        """)
    proc = run_cli("check", "--no-cache", "--select", "BN103", "--format", "concise", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_a_dynamic_import_of_the_module_an_option_names_by_default(tmp_path, write):
    """BigGAN (transfer case 1702): `nets = __import__(config['model'])` with `--model` defaulting to a project
    module is that module (its `Pair` holds `G`); an option with no default names no module: silent."""
    from tests.conftest import run_cli

    write("nets.py", _GENERATOR)
    options = """
        import argparse

        def prepare_parser():
            parser = argparse.ArgumentParser()
            parser.add_argument("--model", type=str{default})
            return parser
        """
    train = "opt.zero_grad()\n                pair(z).mean().backward()\n                opt.step()"
    write("train.py", _EVAL_IN_LOOP.format(imports="import options", module='nets = __import__(config["model"])',
                                           step="", train=train))
    write("options.py", options.format(default=', default="nets"'))
    proc = run_cli("check", "--no-cache", "--select", "BN103", "--format", "concise", "train.py", cwd=tmp_path)
    assert f"train.py:{_eval_line(tmp_path)}:17: BN103".encode() in proc.stdout, proc.stdout
    write("options.py", options.format(default=""))
    proc = run_cli("check", "--no-cache", "--select", "BN103", "--format", "concise", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


# `model.train(flag)` with a flag the call decides: an epoch helper shared by training and validation
EPOCH_HELPER = """
import torch
import torch.nn as nn

backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
model = nn.Sequential(backbone, nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
{freeze}

def run_epoch(net, loader, {param}):
    {flag}net.train({argument})
    for x, y in loader:
        loss = nn.functional.cross_entropy(net(x), y)
        if {test}:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def main(train_loader, val_loader):
    for epoch in range(10):
        run_epoch(model, train_loader, {first})
        run_epoch(model, val_loader, {second})


main([], [])
"""


@pytest.mark.parametrize("param, flag, argument, test, first, second, freeze, expected", [
    # train then validate each epoch: the mode each call sets is right
    ("train", "", "train", "train", "True", "False", "", []),
    ("phase", "is_train = phase == 'train'\n    ", "is_train", "is_train", "'train'", "'val'", "", []),
    # a frozen BatchNorm that the training call's `net.train(train)` (given True) puts back in training mode
    ("train", "", "train", "train", "True", "False", "for p in backbone.parameters():\n    p.requires_grad = False\n",
     [("BN105", 8)]),
    ("train", "", "train", "train", "False", "False", "for p in backbone.parameters():\n    p.requires_grad = False\n",
     []),
])
def test_a_mode_flag_the_call_decides(param, flag, argument, test, first, second, freeze, expected):
    code = EPOCH_HELPER.format(param=param, flag=flag, argument=argument, test=test, first=first, second=second,
                               freeze=freeze)
    assert codes_and_lines(check_code(code, select=("BN101", "BN103", "BN105"))) == expected


OPTIONAL_VALIDATION = '''
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--validate", action="store_true")
parser.add_argument("--every", type=int, default=100)
opt = parser.parse_args()
net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 4))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)


def val(model, loader):
    model.eval()
    return [model(x).argmax(1) for x, _ in loader]


def test(loader):
    return [net(x).argmax(1) for x, _ in loader]


for epoch in range(10):
    for i, (x, y) in enumerate(train_loader):
        net.train()
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        {validate}
    print(test(valid_loader))
'''


@pytest.mark.parametrize(("validate", "flagged"), [
    # (validation off, or not on the last batch: in training mode at `test`)
    ("if opt.validate and i % opt.every == 0:\n            val(net, valid_loader)", True),
    ("val(net, valid_loader)", False),  # (validated after every batch: in eval at `test`)
])
def test_a_helper_eval_on_a_branch_the_code_may_skip_leaves_the_other_path_in_training_mode(validate, flagged):
    """``val()`` leaves the model in eval, but only when its ``if`` runs: ``test()`` after the loop evaluates it in
    training mode on the path that skips it (transfer 3440, a CRNN fork)."""
    code = OPTIONAL_VALIDATION.format(validate=validate)
    line = code.lstrip("\n").splitlines().index("    return [net(x).argmax(1) for x, _ in loader]") + 1
    found = codes_and_lines(check_code(code, select=("BN101",)))
    assert (("BN101", line) in found) is flagged, found


MODE_TESTED_IN_A_HELPER = '''
import torch
import torch.nn as nn


class Processor:
    def __init__(self, loader):
        self.model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 4))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.loader = loader

    def forward_pass(self, x, y):
        output = self.model(x)
        if not self.model.training:
            if output.size(0) > 1:
                output = output.mean(0, keepdim=True)
        loss = nn.functional.cross_entropy(output, y)
        if not self.model.training:
            loss = loss.detach()
        return output, loss

    def train(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in self.loader:
                output, loss = self.forward_pass(x, y){evaluate}
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
'''


def test_a_test_of_the_training_flag_in_a_helper_is_no_eval():
    """``if not self.model.training:`` narrows the mode on that branch, it sets none: the helper leaves the model in
    the mode it found (transfer 3240's post snapshot: a BN103 at such a test, at one of two tests by run)."""
    assert check_code(MODE_TESTED_IN_A_HELPER.format(evaluate=""), select=("BN103",)) == []
    code = MODE_TESTED_IN_A_HELPER.format(evaluate="\n                self.model.eval()")
    line = code.lstrip("\n").splitlines().index("                self.model.eval()") + 1
    assert codes_and_lines(check_code(code, select=("BN103",))) == [("BN103", line)]
