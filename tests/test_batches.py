"""semantic.batching.analysis: batch-size resolution and training-loader detection stay silent when unsure."""
from __future__ import annotations

import pytest

from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.project import Project
from bn_lint.finding import Severity
from tests import helpers


def _sized(findings):
    """These tests are about batch sizes and known dataset lengths. BN302's warning for an unknown length (a
    training loader without ``drop_last=True`` feeding BatchNorm1d on (N, C), as HEAD's model is) is tested
    apart (``test_last_batch_warning_*``)."""
    return [f for f in findings if not (f.code == "BN302" and f.severity is Severity.WARNING)]


def check_code(*args, **kwargs):
    return _sized(helpers.check_code(*args, **kwargs))


def codes_and_lines(findings):
    return helpers.codes_and_lines(_sized(findings))

HEAD = """
import argparse
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
"""
LOOP = """
for x, y in loader:
    nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
"""


def findings(middle: str):
    return codes_and_lines(check_code(HEAD + middle + LOOP, select=("BN3",)))


@pytest.mark.parametrize(
    "middle",
    [
        # the config is changed before use
        'cfg = {"batch_size": 1}\ncfg["batch_size"] = 64\nloader = DataLoader(data, batch_size=cfg["batch_size"])\n',
        # set_defaults overrides the add_argument default
        'p = argparse.ArgumentParser()\np.add_argument("--bs", type=int, default=1)\np.set_defaults(bs=64)\n'
        "args = p.parse_args()\nloader = DataLoader(data, batch_size=args.bs)\n",
        # args.bs reassigned
        'p = argparse.ArgumentParser()\np.add_argument("--bs", type=int, default=1)\nargs = p.parse_args()\n'
        "args.bs = args.bs * 16\nloader = DataLoader(data, batch_size=args.bs)\n",
        # **kwargs: unknown
        "kw = load()\nloader = DataLoader(data, **kw)\n",
        # a value read from elsewhere
        "loader = DataLoader(data, batch_size=int(input()))\n",
        # no automatic batching
        "loader = DataLoader(data, batch_size=None)\n",
    ],
)
def test_unknown_or_overridden_batch_sizes_are_silent(middle):
    assert findings(middle) == []


def test_arithmetic_and_env_defaults_resolve():
    middle = 'import os\nBS = int(os.environ.get("BS", 16)) // 8\nloader = DataLoader(data, batch_size=BS)\n'
    assert findings(middle) == [("BN301", 10)]


def test_batch_sampler_batch_size_is_used():
    middle = (
        "from torch.utils.data import BatchSampler, RandomSampler\n"
        "loader = DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), batch_size=1, drop_last=False))\n"
    )
    assert findings(middle) == [("BN301", 9)]


def test_frozen_batchnorm_finetuning_with_batch_of_one_is_not_flagged():
    """`model.eval()` before a backward loop: BatchNorm uses running statistics, batch 1 is fine."""
    code = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader

        def finetune(model, loader, optimizer):
            model.eval()
            for x, y in loader:
                nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()

        net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
        finetune(net, DataLoader(data, batch_size=1), torch.optim.SGD(net.parameters(), lr=0.1))
    """
    assert check_code(code, select=("BN3",)) == []


def test_min_batch_size_setting():
    middle = "loader = DataLoader(data, batch_size=16)\n"
    assert findings(middle) == []
    found = check_code(HEAD + middle + LOOP, select=("BN3",), min_batch_size=32)
    assert [(f.code, f.severity.value) for f in found] == [("BN301", "warning")]


def test_bn302_fix_adds_drop_last():
    code = HEAD + "from torch.utils.data import TensorDataset\n" \
        "ds = TensorDataset(torch.randn(33, 4), torch.zeros(33).long())\nloader = DataLoader(ds, batch_size=8)\n" + LOOP
    [finding] = check_code(code, select=("BN302",))
    assert finding.fix is not None
    assert finding.fix.edits[0].replacement == "DataLoader(ds, batch_size=8, drop_last=True)"


NORM_EVAL = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
{override}
    def forward(self, x):
        return self.body(x)


model = Detector()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loader = DataLoader(torch.load("data.pt"), batch_size=2, shuffle=True)
model.train()
for x, y in loader:
    opt.zero_grad()
    model(x).sum().backward()
    opt.step()
"""
TRAIN_OVERRIDE = """
    def train(self, mode=True):
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self
"""


def test_a_class_that_sets_its_own_modes_in_train_is_not_a_small_batch_finding():
    """mmdet's norm_eval: train() puts every BatchNorm back in eval, so batch 2 is fine."""
    assert codes_and_lines(check_code(NORM_EVAL.format(override=TRAIN_OVERRIDE), select=("BN3",))) == []
    plain = NORM_EVAL.format(override="").lstrip("\n")
    loader_line = plain.splitlines().index('loader = DataLoader(torch.load("data.pt"), batch_size=2, shuffle=True)') + 1
    assert codes_and_lines(check_code(plain, select=("BN3",))) == [("BN301", loader_line)]


@pytest.mark.parametrize("train_line, expected", [
    ('loader = DataLoader(data, batch_size=CFG["batch_size"], shuffle=True)\n', [("BN301", 10)]),
    ('CFG["batch_size"] = 64\nloader = DataLoader(data, batch_size=CFG["batch_size"], shuffle=True)\n', []),
    ('loader = DataLoader(data, batch_size=CFG["eval_batch_size"], shuffle=True)\n', []),
])
def test_batch_size_from_a_config_dict_in_another_project_file(tmp_path, train_line, expected):
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text('CFG = {\n    "batch_size": 2,\n    "eval_batch_size": 64,\n}\n')
    script = HEAD.replace("import argparse\n", "from config import CFG\n") + "data = load()\n" + train_line + LOOP
    (tmp_path / "train.py").write_text(script)
    result = Checker(Settings(root=str(tmp_path), select=("BN3",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected, [f.message for f in result.findings]


@pytest.mark.parametrize("call, expected", [("main()\n", [("BN301", 11)]), ("main({'batch_size': 64})\n", [])])
def test_an_imported_config_dict_as_a_parameter_default(tmp_path, call, expected):
    """``def main(cfg=CFG)`` with ``CFG`` imported from the project's config file, called as ``main()``."""
    from bn_lint.config import Settings
    from bn_lint.engine import Checker

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text('CFG = {"batch_size": 2}\n')
    body = "def main(cfg=CFG):\n    loader = DataLoader(data, batch_size=cfg['batch_size'], shuffle=True)\n" + "".join(
        "    " + line + "\n" for line in LOOP.strip("\n").splitlines())
    script = HEAD.replace("import argparse\n", "from config import CFG\n") + "data = load()\n" + body + call
    (tmp_path / "train.py").write_text(script)
    result = Checker(Settings(root=str(tmp_path), select=("BN3",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected, [f.message for f in result.findings]


def test_argparse_defaults_through_a_local_parse_function():
    middle = (
        'def get_args():\n    p = argparse.ArgumentParser()\n    p.add_argument("--bs", type=int, default=2)\n'
        "    return p.parse_args()\n\nargs = get_args()\nloader = DataLoader(data, batch_size=args.bs, shuffle=True)\n"
    )
    assert findings(middle) == [("BN301", 14)]
    assert findings(middle.replace("default=2", "default=64")) == []


@pytest.mark.parametrize("tail, expected", [
    ("main()\n", [("BN301", 12)]),
    ("main({'train': {'batch_size': 64}})\n", []),  # a caller passes its own config
    ("main()\nmain(cfg=OTHER)\n", []),
    ("main(CONFIG)\n", [("BN301", 12)]),  # every call passes the same module-level config
    ("main(CONFIG)\nmain(OTHER)\n", []),
    ("def go():\n    CONFIG = OTHER\n    main(CONFIG)\n", []),  # the caller's own CONFIG
])
def test_config_dict_as_a_parameter_default(tail, expected):
    code = HEAD + (
        "CONFIG = {'train': {'batch_size': 2}}\nOTHER = {'train': {'batch_size': 64}}\n\n"
        "def main(cfg=CONFIG):\n    loader = DataLoader(data, batch_size=cfg['train']['batch_size'], shuffle=True)\n"
        "    for x, y in loader:\n        nn.functional.cross_entropy(net(x), y).backward()\n        opt.step()\n\n"
    ) + tail
    assert codes_and_lines(check_code(code, select=("BN3",))) == expected


def test_config_parameter_changed_in_the_function_is_not_trusted():
    code = HEAD + (
        "CONFIG = {'train': {'batch_size': 2}}\n\n"
        "def main(cfg=CONFIG):\n    cfg['train'] = {'batch_size': 64}\n"
        "    loader = DataLoader(data, batch_size=cfg['train']['batch_size'], shuffle=True)\n"
        "    for x, y in loader:\n        nn.functional.cross_entropy(net(x), y).backward()\n        opt.step()\n\nmain()\n"
    )
    assert check_code(code, select=("BN3",)) == []


@pytest.mark.parametrize("norm, expected", [("nn.BatchNorm1d(h)", [("BN302", 7)]), ("nn.LayerNorm(h)", [])])
def test_model_built_from_a_list_of_layers_is_seen_to_hold_batchnorm(norm, expected):
    """``nn.Sequential(*layers)`` where a builder appends the layers in a loop."""
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        N_TRAIN = 4097
        dataset = TensorDataset(torch.randn(N_TRAIN, 42), torch.randint(0, 3, (N_TRAIN,)))
        loader = DataLoader(dataset, batch_size=64, shuffle=True)

        def make_mlp(in_dim, hidden, out_dim):
            layers = []
            for h in hidden:
                layers.append(nn.Linear(in_dim, h, bias=False))
                layers.append({norm})
                layers += [nn.ReLU()]
                in_dim = h
            layers.append(nn.Linear(in_dim, out_dim))
            return nn.Sequential(*layers)

        model = make_mlp(42, [256, 128], 3)
        optimizer = torch.optim.Adam(model.parameters())
        for epoch in range(20):
            for xb, yb in loader:
                loss = nn.functional.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == expected


@pytest.mark.parametrize("loop, expected", [
    ("loop = tqdm(loader)\n            for i, (x, y) in enumerate(loop):", [("BN301", 5)]),
    ("for i, (x, y) in enumerate(tqdm(loader)):", [("BN301", 5)]),
    ("loop = sorted(loader)\n            for i, (x, y) in enumerate(loop):", []),
])
def test_loader_iterated_through_a_progress_bar_variable(loop, expected):
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader
        from tqdm import tqdm
        loader = DataLoader(dataset, batch_size=2, shuffle=True)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        optimizer = torch.optim.Adam(model.parameters())

        def train_fn(loader, model, optimizer):
            {loop}
                loss = model(x).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

        train_fn(loader, model, optimizer)
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == expected


@pytest.mark.parametrize("norm, expected", [("nn.BatchNorm1d(8)", [("BN302", 6)]), ("nn.LayerNorm(8)", [])])
def test_a_training_function_gets_the_kind_its_callers_pass(norm, expected):
    """``def pretrain(model)`` building and iterating its own loader: the model is what ``main`` passes."""
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        def pretrain(model):
            loader = DataLoader(TensorDataset(torch.randn(1025, 4), torch.randn(1025, 8)), batch_size=64)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for x, y in loader:
                nn.functional.mse_loss(model(x), y).backward()
                opt.step()

        def main():
            net = nn.Sequential(nn.Linear(4, 8, bias=False), {norm})
            pretrain(net)
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == expected


TRAINER = """
import torch
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, optimizer, loader):
        self.model = model.to("cpu")
        self.optimizer, self.loader = optimizer, loader

    def fit(self, epochs):
        for _ in range(epochs):
            self._epoch()

    def _epoch(self):
        self.model.train()
        for x, y in self.loader:
            F.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()


def train_one_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
"""


@pytest.mark.parametrize("norm, run, expected", [
    ("nn.BatchNorm1d(8)", "Trainer(net, opt, loader).fit(3)", [("BN301", 8)]),
    ("nn.BatchNorm1d(8)", "trainer = Trainer(net, opt, loader)\ntrainer.fit(3)", [("BN301", 8)]),
    ("nn.BatchNorm1d(8)", "train_one_epoch(net, loader, opt)", [("BN301", 8)]),
    ("nn.LayerNorm(8)", "Trainer(net, opt, loader).fit(3)", []),
    ("nn.BatchNorm1d(8)", "trainer = Trainer(net, opt, loader)", []),  # never run
])
def test_a_loader_handed_to_a_trainer_of_another_file(tmp_path, norm, run, expected):
    """The trainer (a class storing the loader, or a function given it) lives in engine.py."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "engine.py").write_text(TRAINER)
    lines = "\n".join(f"    {line}" for line in run.splitlines())
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
        "from engine import Trainer, train_one_epoch\n\n"
        f"def main(data):\n    net = nn.Sequential(nn.Linear(4, 8, bias=False), {norm})\n"
        "    loader = DataLoader(data, batch_size=2, shuffle=True)\n"
        f"    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n{lines}\n"
    )
    result = Checker(Settings(root=str(tmp_path), select=("BN3",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected


def test_a_trainer_method_given_the_loader_in_the_same_file():
    code = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader

        class Trainer:
            def __init__(self, model, optimizer):
                self.model, self.optimizer = model, optimizer

            def fit(self, loader):
                for x, y in loader:
                    nn.functional.cross_entropy(self.model(x), y).backward()
                    self.optimizer.step()

        def make_model():
            def block(cin, cout):
                return nn.Sequential(nn.Linear(cin, cout, bias=False), nn.BatchNorm1d(cout))
            return nn.Sequential(block(4, 8), nn.Linear(8, 2))

        def main(data):
            model = make_model()
            loader = DataLoader(data, batch_size=4, shuffle=True, drop_last=True)
            Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1)).fit(loader)
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN301", 21)]


def test_accelerate_prepare_hands_back_what_it_was_given(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text('CFG = {"train": {"batch_size": 2}, "eval": {"batch_size": 64}}\n')
    (tmp_path / "trainer.py").write_text(
        "import torch.nn.functional as F\nfrom accelerate import Accelerator\n\n"
        "class AccelTrainer:\n"
        "    def __init__(self, model, optimizer, loader):\n"
        "        self.accelerator = Accelerator()\n"
        "        self.model, self.optimizer, self.loader = self.accelerator.prepare(model, optimizer, loader)\n\n"
        "    def fit(self):\n"
        "        for x, y in self.loader:\n"
        "            with self.accelerator.accumulate(self.model):\n"
        "                self.accelerator.backward(F.cross_entropy(self.model(x), y))\n"
        "                self.optimizer.step()\n"
    )
    (tmp_path / "run.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
        "from config import CFG\nfrom trainer import AccelTrainer\n\n"
        "def main(data):\n    net = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))\n"
        '    loader = DataLoader(data, batch_size=CFG["train"]["batch_size"], shuffle=True)\n'
        "    AccelTrainer(net, torch.optim.SGD(net.parameters(), lr=0.1), loader).fit()\n"
    )
    result = Checker(Settings(root=str(tmp_path), select=("BN3",))).check_path(str(tmp_path / "run.py"))
    assert codes_and_lines(result.findings) == [("BN301", 9)]
    assert "in config.py" in _sized(result.findings)[0].message


def test_lengths_through_tuple_assignments_and_normalisation():
    """``self.size, self.seed = size, seed`` in a Dataset; ``x = (x - mean) / std`` keeps the rows."""
    code = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, Dataset, TensorDataset

        class Points(Dataset):
            def __init__(self, size, seed):
                self.size, self.seed = size, seed

            def __len__(self):
                return self.size

        def main():
            x = torch.randn(4097, 8)
            mean, std = x.mean(0), x.std(0)
            x = (x - mean) / std
            net = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            a = DataLoader(TensorDataset(x), batch_size=64)
            b = DataLoader(Points(8001, 0), batch_size=32)
            for (batch,) in a:
                net(batch).sum().backward()
                opt.step()
            for batch in b:
                net(batch).sum().backward()
                opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN302", 18), ("BN302", 19)]


def test_a_swap_is_not_two_bindings():
    code = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        small, large = 64, 4097
        small, large = large, small
        net = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        loader = DataLoader(TensorDataset(torch.randn(large, 8)), batch_size=small)
        for (batch,) in loader:
            net(batch).sum().backward()
            opt.step()
    """
    assert check_code(code, select=("BN3",)) == []


@pytest.mark.parametrize("returned, unpack", [("loader, sampler", "loader, _ = make_loader(data)"),
                                              ("loader", "loader = make_loader(data)")])
def test_a_loader_returned_by_a_builder_is_followed_to_its_callers(returned, unpack):
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, RandomSampler

        def make_loader(data):
            sampler = RandomSampler(data)
            loader = DataLoader(data, batch_size=2, sampler=sampler)
            return {returned}

        def main(data):
            net = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8))
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            {unpack}
            for x, y in loader:
                nn.functional.cross_entropy(net(x), y).backward()
                opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN301", 7)]


@pytest.mark.parametrize("rows, expected", [(2049, [("BN302", 11)]), (2048, [])])
def test_a_tensor_dataset_of_a_helpers_tuple(rows, expected):
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        def make_data(n):
            return torch.randn(n, 8), torch.randint(0, 2, (n,))

        def main():
            net = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8), nn.Linear(8, 2))
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            loader = DataLoader(TensorDataset(*make_data({rows})), batch_size=32, shuffle=True)
            for x, y in loader:
                nn.functional.cross_entropy(net(x), y).backward()
                opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == expected


def test_lengths_through_a_data_helper_matmul_and_per_name_normalisation():
    """``x = simulate(4097)`` returning ``torch.randn(n, 24) @ MIXING + BASELINE``, then
    ``x, v = (x - mu) / sd, (v - mu) / sd``: each name read only for its own new value."""
    code = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        MIXING = torch.randn(24, 24)
        BASELINE = torch.linspace(-1.0, 1.0, 24)

        def simulate(n):
            return torch.randn(n, 24) @ MIXING + BASELINE

        def main():
            x, v = simulate(4097), simulate(1000)
            mu, sd = x.mean(0), x.std(0)
            x, v = (x - mu) / sd, (v - mu) / sd
            net = nn.Sequential(nn.Linear(24, 8, bias=False), nn.BatchNorm1d(8), nn.Linear(8, 24))
            opt = torch.optim.Adam(net.parameters())
            for (batch,) in DataLoader(TensorDataset(x), batch_size=256, shuffle=True):
                nn.functional.mse_loss(net(batch), batch).backward()
                opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN302", 17)]


def test_keras_momentum_from_another_files_config(tmp_path):
    """BN205 follows a momentum to a constant or config entry of another project file."""
    (tmp_path / "config.py").write_text('CONFIG = {"model": {"bn_momentum": 0.99, "bn_eps": 1e-3}}\nBN_MOMENTUM = 0.9\n')
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n"
        "from config import BN_MOMENTUM, CONFIG\n\n"
        "MOMENTUM = CONFIG['model']['bn_momentum']\n"
        "a = nn.BatchNorm2d(8, momentum=MOMENTUM)\n"
        "b = nn.BatchNorm2d(8, momentum=BN_MOMENTUM)\n"
        "c = nn.BatchNorm2d(8, eps=CONFIG['model']['bn_eps'])\n"
    )
    found = Checker(Settings(select=("BN205",)), Project(str(tmp_path))).check_path(str(tmp_path / "model.py")).findings
    assert [(f.code, f.line) for f in found] == [("BN205", 5), ("BN205", 6)]
    assert "in config.py" in found[0].message


@pytest.mark.parametrize("override, expected", [
    ("super().train(mode)\n                self.body.training = False", [("BN301", 14)]),  # reaches no BatchNorm layer
    ("super().train(mode)\n                self.body.eval()", []),  # keeps its BatchNorm in eval: never trains
    ("super().train(False)", []),
])
def test_a_train_override_counts_only_if_it_can_set_layer_modes(override, expected):
    code = f"""
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

            def train(self, mode=True):
                {override}
                return self

        loader = torch.utils.data.DataLoader(torch.load("d.pt"), batch_size=2, shuffle=True)
        model = Net()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        for x in loader:
            model(x).sum().backward()
            opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected


@pytest.mark.parametrize("convert, expected", [("", [("BN304", 9)]), ("nn.SyncBatchNorm.convert_sync_batchnorm(model)", [])])
def test_ddp_wrapped_by_another_files_helper(tmp_path, convert, expected):
    """The DistributedSampler shows a per-device batch; the wrapping helper is in another file."""
    (tmp_path / "dist_utils.py").write_text(
        "import torch.nn as nn\nfrom torch.nn.parallel import DistributedDataParallel as DDP\n\n"
        f"def wrap(model, rank):\n    model = {convert or 'model'}\n    return DDP(model.cuda(rank), device_ids=[rank])\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
        "from torch.utils.data.distributed import DistributedSampler\nfrom dist_utils import wrap\n\n"
        "def main(dataset, rank):\n"
        "    sampler = DistributedSampler(dataset)\n"
        "    loader = DataLoader(dataset, batch_size=2, sampler=sampler)\n"
        "    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "    model = wrap(model, rank)\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for x in loader:\n"
        "        model(x).sum().backward()\n"
        "        opt.step()\n"
    )
    settings = Settings(select=("BN301", "BN304"))
    found = Checker(settings, Project(str(tmp_path))).check_path(str(tmp_path / "train.py")).findings
    assert [(f.code, f.line) for f in found] == expected


@pytest.mark.parametrize("draw, expected", [
    ("x = next(batches)", [("BN302", 4)]),
    ("x = next(iter(loader))", [("BN302", 4)]),
    ("x = torch.randn(64, 8)", []),
])
def test_batches_drawn_with_next_in_a_training_loop(draw, expected):
    code = f"""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset
        loader = DataLoader(TensorDataset(torch.randn(4097, 8)), batch_size=64, shuffle=True)
        model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        batches = iter(loader)
        for step in range(10000):
            try:
                {draw}
            except StopIteration:
                batches = iter(loader)
                continue
            model(x).sum().backward()
            opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN302",))) == expected


def test_a_config_given_to_a_constructor_by_default(tmp_path):
    """``cfg`` of ``__init__`` defaults to a module config (or every call gives it): its entries are known."""
    code = """
        import torch.nn as nn

        CFG = {"bn_momentum": 0.99, "filters": 64}

        class Block(nn.Module):
            def __init__(self, cin, cfg=CFG):
                super().__init__()
                self.conv = nn.Conv1d(cin, cfg["filters"], 3, bias=False)
                self.bn = nn.BatchNorm1d(cfg["filters"], momentum=cfg["bn_momentum"])

        net = nn.Sequential(Block(8), Block(64))
    """
    assert codes_and_lines(check_code(code, select=("BN205",))) == [("BN205", 9)]


def test_a_section_of_an_imported_config_bound_to_a_name(tmp_path):
    (tmp_path / "config.py").write_text('CONFIG = {"data": {"root": "d"}, "train": {"batch_size": 2}}\n')
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nfrom config import CONFIG\n\n"
        "def main(dataset):\n"
        "    data_cfg, train_cfg = CONFIG['data'], CONFIG['train']\n"
        "    loader = DataLoader(dataset, batch_size=train_cfg['batch_size'], shuffle=True)\n"
        "    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for x in loader:\n"
        "        model(x).sum().backward()\n"
        "        opt.step()\n"
    )
    found = Checker(Settings(select=("BN301",)), Project(str(tmp_path))).check_path(str(tmp_path / "train.py")).findings
    assert [(f.code, f.line) for f in found] == [("BN301", 8)]


@pytest.mark.parametrize("calls, expected", [
    ("", [("BN302", 6)]),  # nothing here calls it: its default
    ("smoke_train()\n", [("BN302", 6)]),
    ("smoke_train(batch_size=100)\n", []),  # 1025 % 100 == 25
    ("smoke_train()\nsmoke_train(batch_size=100)\n", []),  # the calls disagree: not certain
])
def test_a_batch_size_parameter_with_a_default(calls, expected):
    code = (
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n\n"
        "def smoke_train(batch_size=64):\n"
        "    loader = DataLoader(TensorDataset(torch.randn(1025, 8)), batch_size=batch_size, shuffle=True)\n"
        "    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for (x,) in loader:\n"
        "        model(x).sum().backward()\n"
        "        opt.step()\n\n" + calls
    )
    assert codes_and_lines(check_code(code, select=("BN302",))) == expected


@pytest.mark.parametrize("later, expected", [
    ("for model in models:\n    print(model)\n", [("BN301", 4)]),  # a loop after the training reuses the name
    ("model += 1\n", []),  # another binding the code does not follow
])
def test_a_model_name_reused_by_a_later_loop(later, expected):
    code = (
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
        "loader = DataLoader(torch.load('d.pt'), batch_size=4, shuffle=True)\n"
        "models = []\n"
        "model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16))\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x in loader:\n"
        "    model(x).sum().backward()\n"
        "    opt.step()\n"
        "models.append(model)\n" + later
    )
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected


@pytest.mark.parametrize("body, expected", [
    # overrides under computed keys (the command line, the environment): the default stands
    ("    cfg = copy.deepcopy(CFG)\n    for key, value in overrides.items():\n        cfg[key] = value\n    return cfg\n",
     [("BN301", 10)]),
    ("    cfg = dict(CFG)\n    return cfg\n", [("BN301", 10)]),
    # a key the function spells out, or an update it cannot read: not the config's entry
    ("    cfg = copy.deepcopy(CFG)\n    cfg[\"batch_size\"] = 64\n    return cfg\n", []),
    ("    cfg = CFG.copy()\n    cfg.update(overrides)\n    return cfg\n", []),
])
def test_batch_size_from_a_config_a_function_returns(tmp_path, body, expected):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text(
        'import copy\n\nCFG = {"batch_size": 2, "lr": 0.1}\n\n\ndef get_config(overrides=None):\n'
        "    overrides = overrides or {}\n" + body
    )
    script = HEAD.replace("import argparse\n", "from config import get_config\n") + "cfg = get_config()\n" + \
        'loader = DataLoader(load(), batch_size=cfg["batch_size"], shuffle=True)\n' + LOOP
    (tmp_path / "train.py").write_text(script)
    result = Checker(Settings(root=str(tmp_path), select=("BN3",))).check_path(str(tmp_path / "train.py"))
    assert codes_and_lines(result.findings) == expected, [f.message for f in result.findings]


def test_a_loss_helper_that_runs_the_model_it_is_given_trains_it():
    code = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset

        def step_loss(model, x):
            return F.mse_loss(model(x), x)

        model = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
        loader = DataLoader(TensorDataset(torch.randn(256, 8)), batch_size=4)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for (x,) in loader:
            loss = step_loss(model, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
    """
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN301", 10)]


DATASET = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Points(Dataset):
    def __init__(self, n):
        {store}

    def __len__(self):
        return {length}

    def __getitem__(self, i):
        return self.x[i], self.y[i]


net = nn.Sequential(nn.Linear(3, 8, bias=False), nn.BatchNorm1d(8), nn.Linear(8, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
loader = DataLoader(Points(1025), batch_size=64, shuffle=True)
for x, y in loader:
    nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
"""
_XY = "self.x = torch.randn(n, 3); self.y = torch.randint(0, 2, (n,))"


@pytest.mark.parametrize("store, length", [
    (_XY, "len(self.x)"),
    (_XY, "self.x.size(0)"),
    (_XY, "self.x.shape[0]"),
    (_XY, "self.y.numel()"),
    ("self.x = [torch.randn(3) for _ in range(n)]; self.y = [0] * n", "len(self.x)"),
])
def test_dataset_lengths_measured_from_what_init_stores(store, length):
    code = DATASET.format(store=store, length=length)
    assert codes_and_lines(check_code(code, select=("BN302",))) == [("BN302", 19)]


@pytest.mark.parametrize("store, length", [
    (_XY, "self.x.numel()"),  # 2-D: numel is not the length
    (_XY, "self.x.size(1)"),
    (_XY + "; self.x = self.x[self.y > 0]", "len(self.x)"),  # assigned twice
    ("self.x = load(n); self.y = None", "len(self.x)"),  # unknown
    (_XY + "\n        self.x += 1", "len(self.x)"),
])
def test_dataset_lengths_stay_unknown_when_unsure(store, length):
    code = DATASET.format(store=store, length=length)
    assert codes_and_lines(check_code(code, select=("BN302",))) == []


def test_an_eval_only_after_the_training_loop_leaves_its_first_pass_training():
    code = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

x = torch.randn(404, 13)
loader = DataLoader(TensorDataset(x, x[:, :1]), batch_size=1, shuffle=True)
model = nn.Sequential(nn.Linear(13, 64, bias=False), nn.BatchNorm1d(64), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters())
for epoch in range(10):
    model.train
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
    model.eval()
"""
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 6)]
    frozen = code.replace("for epoch in range(10):\n", "model.eval()\nfor epoch in range(10):\n")
    assert codes_and_lines(check_code(frozen, select=("BN301",))) == []


def test_a_section_of_a_config_bound_to_a_name():
    middle = ('CONFIG = {"ft": {"loader": {"batch_size": 2}}}\nft_cfg = CONFIG["ft"]\n'
              'loader = DataLoader(data, batch_size=ft_cfg["loader"]["batch_size"])\n')
    assert findings(middle) == [("BN301", 10)]


@pytest.mark.parametrize("change", ['CONFIG["ft"]["loader"]["batch_size"] = 64', 'ft_cfg["loader"]["batch_size"] = 64',
                                    'ft_cfg["loader"] = {"batch_size": 64}'])
def test_a_nested_config_changed_anywhere_is_unknown(change):
    middle = ('CONFIG = {"ft": {"loader": {"batch_size": 2}}}\nft_cfg = CONFIG["ft"]\n' + change + "\n"
              'loader = DataLoader(data, batch_size=CONFIG["ft"]["loader"]["batch_size"])\n')
    assert findings(middle) == []
    assert findings(middle.replace('CONFIG["ft"]["loader"]["batch_size"])', 'ft_cfg["loader"]["batch_size"])')) == []


def test_labels_from_a_comparison_keep_the_rows():
    code = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

def synthesize(n):
    x = torch.randn(n, 8)
    score = x @ torch.linspace(-1.0, 1.0, 8) + 0.3 * torch.randn(n)
    return x, (score > 0).long()

x_train, y_train = synthesize(1025)
x_train = x_train / x_train.norm(dim=1, keepdim=True).clamp_min(1e-6)
net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
for xb, yb in loader:
    nn.functional.cross_entropy(net(xb), yb).backward()
    opt.step()
"""
    assert codes_and_lines(check_code(code, select=("BN302",))) == [("BN302", 14)]


def test_a_config_section_updated_in_place_is_unknown():
    middle = ('CONFIG = {"train": {"batch_size": 4}}\nCONFIG["train"].update({"batch_size": 64})\n'
              'loader = DataLoader(data, batch_size=CONFIG["train"]["batch_size"])\n')
    assert findings(middle) == []


def test_a_batch_handed_straight_to_a_helper_is_no_training_batch():
    middle = ('val_loader = DataLoader(data, batch_size=2)\nloader = DataLoader(data, batch_size=64)\n'
              'def show(model, batch):\n    pass\n')
    loop = ("for x, y in loader:\n    nn.functional.cross_entropy(net(x), y).backward()\n    opt.step()\n"
            "    show(net, next(iter(val_loader)))\n")
    assert codes_and_lines(check_code(HEAD + middle + loop, select=("BN3",))) == []
    drawn = loop.replace("    show(net, next(iter(val_loader)))\n", "    xv, yv = next(iter(val_loader))\n"
                         "    nn.functional.cross_entropy(net(xv), yv).backward()\n")
    assert [c for c, _ in codes_and_lines(check_code(HEAD + middle + drawn, select=("BN3",)))] == ["BN301"]


@pytest.mark.parametrize("use, expected", [
    ("cfg = C.TRAIN\n    loader = DataLoader(dataset, batch_size=cfg['batch_size'], shuffle=True)\n", [("BN301", 8)]),
    ("loader = DataLoader(dataset, batch_size=C.TRAIN['batch_size'], shuffle=True)\n", [("BN301", 7)]),
    # changed here before use: unknown
    ("C.TRAIN['batch_size'] = 64\n    loader = DataLoader(dataset, batch_size=C.TRAIN['batch_size'], shuffle=True)\n", []),
    ("cfg = C.TRAIN\n    cfg.update(OVERRIDES)\n    loader = DataLoader(dataset, batch_size=cfg['batch_size'])\n", []),
])
def test_a_config_read_through_a_module_alias(tmp_path, use, expected):
    """``import configs as C`` then ``C.TRAIN['batch_size']`` (directly or through ``cfg = C.TRAIN``)."""
    (tmp_path / "configs.py").write_text('TRAIN = {"batch_size": 4, "epochs": 3}\n')
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nimport configs as C\n\n"
        "def main(dataset):\n"
        "    " + use +
        "    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for x in loader:\n"
        "        model(x).sum().backward()\n"
        "        opt.step()\n"
    )
    found = Checker(Settings(select=("BN301",)), Project(str(tmp_path))).check_path(str(tmp_path / "train.py")).findings
    assert [(f.code, f.line) for f in found] == expected


@pytest.mark.parametrize("middle, expected", [
    ("from types import SimpleNamespace\ncfg = SimpleNamespace(bs=2, lr=0.1)\n"
     "loader = DataLoader(data, batch_size=cfg.bs)\n", [("BN301", 10)]),
    ("import types\ncfg = types.SimpleNamespace(bs=2)\ncfg.bs = 64\nloader = DataLoader(data, batch_size=cfg.bs)\n", []),
    ("cfg = argparse.Namespace(bs=4)\nloader = DataLoader(data, batch_size=cfg.bs)\n", [("BN301", 9)]),
    ("cfg = argparse.Namespace(**defaults)\nloader = DataLoader(data, batch_size=cfg.bs)\n", []),
])
def test_a_namespace_of_settings(middle, expected):
    assert findings(middle) == expected


def test_a_helper_drawing_batches_with_next(tmp_path):
    """detectron2-style iteration training: the helper given the loader draws batches with ``next(it)``."""
    code = HEAD + (
        "def do_train(model, data_loader, max_iter):\n"
        "    data_iter = iter(data_loader)\n"
        "    for it in range(max_iter):\n"
        "        try:\n"
        "            x, y = next(data_iter)\n"
        "        except StopIteration:\n"
        "            data_iter = iter(data_loader)\n"
        "            x, y = next(data_iter)\n"
        "        nn.functional.cross_entropy(model(x), y).backward()\n"
        "        opt.step()\n\n"
        "loader = DataLoader(data, batch_size=2, shuffle=True)\n"
        "do_train(net, loader, 1000)\n"
    )
    assert codes_and_lines(check_code(code, select=("BN3",))) == [("BN301", 19)]


@pytest.mark.parametrize("given, expected", [
    ("num_samples=N_TRAIN", [("BN302", 7)]),  # 1025 samples in batches of 64
    ("", [("BN302", 7)]),  # the class's default: the same constant there
    ("num_samples=1024", []),
    ("num_samples=n", []),  # unknown here
])
def test_the_length_of_a_dataset_class_of_another_file(tmp_path, given, expected):
    (tmp_path / "data.py").write_text(
        "from torch.utils.data import Dataset\n\nN_TRAIN = 1025\n\n"
        "class Shapes(Dataset):\n"
        "    def __init__(self, num_samples=N_TRAIN, size=64):\n"
        "        self.num_samples = num_samples\n\n"
        "    def __len__(self):\n"
        "        return self.num_samples\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nfrom data import Shapes, N_TRAIN\n\n"
        f"def main(n):\n    loader = DataLoader(Shapes({given}), batch_size=64, shuffle=True)\n"
        "    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "    for x in loader:\n"
        "        model(x).sum().backward()\n"
        "        opt.step()\n"
    )
    found = Checker(Settings(select=("BN302",)), Project(str(tmp_path))).check_path(str(tmp_path / "train.py")).findings
    assert [(f.code, f.line) for f in found] == expected


# ---------------------------------------------------------------- loaders whose training is not in sight
UNKNOWN_MODEL = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(3, 8, 3, bias=False), {norm}

def train(model, dataset, optimizer):
    loader = DataLoader(dataset, batch_size=2, shuffle=True)
    model.train()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


@pytest.mark.parametrize("norm, expected", [("nn.BatchNorm2d(8)", [("BN301", 11)]), ("nn.GroupNorm(2, 8)", [])])
def test_a_trained_parameter_may_hold_batchnorm_when_the_project_builds_it(norm, expected):
    assert codes_and_lines(check_code(UNKNOWN_MODEL.format(norm=norm), select=("BN301",))) == expected


def test_a_trained_parameter_frozen_by_a_helper_is_not_a_small_batch():
    code = UNKNOWN_MODEL.format(norm="nn.BatchNorm2d(8)").replace(
        "    model.train()\n", "    model.train()\n    freeze(model)\n") + (
        "\ndef freeze(model):\n    for m in model.modules():\n        if isinstance(m, nn.BatchNorm2d):\n"
        "            m.eval()\n")
    assert check_code(code, select=("BN301",)) == []


def test_a_freeze_undone_by_a_later_train_does_not_count():
    code = UNKNOWN_MODEL.format(norm="nn.BatchNorm2d(8)").replace(
        "    model.train()\n", "    freeze(model)\n    model.train()\n") + (
        "\ndef freeze(model):\n    for m in model.modules():\n        if isinstance(m, nn.BatchNorm2d):\n"
        "            m.eval()\n")
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 11)]


ROLES = """
import torch.nn as nn
from torch.utils.data import DataLoader

net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

def make_loaders(train_set, val_set, dataset):
    {loader}
"""


@pytest.mark.parametrize("loader, expected", [
    ("return DataLoader(train_set, batch_size=2, shuffle=True), None", [("BN301", 7)]),  # shuffled, returned
    ("trn_loader = DataLoader(train_set, batch_size=2)\n    return trn_loader", [("BN301", 7)]),  # named
    ("return {x: DataLoader(x, batch_size=2, shuffle=True) for x in ['train', 'val']}", [("BN301", 7)]),
    ("val_loader = DataLoader(val_set, batch_size=2, shuffle=True)\n    return val_loader", []),  # evaluation
    ("return {x: DataLoader(x, batch_size=2) for x in ['val', 'test']}", []),
    ("loader = DataLoader(dataset, batch_size=2)\n    return loader", []),  # neither named nor shuffled
    ("loader = DataLoader(train_set, batch_size=2, shuffle=True)\n    show(sorted(loader))", []),  # a local use
])
def test_the_role_of_a_loader_no_loop_of_the_file_iterates(loader, expected):
    code = ROLES.format(loader=loader) + "\ndef show(batches):\n    print(len(batches))\n"
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected


def test_a_loader_keyword_bundle_gives_the_batch_size():
    code = HEAD + 'loader_args = dict(batch_size=2, num_workers=4)\nloader = DataLoader(data, **loader_args)\n' + LOOP
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 8)]  # where the size is written
    changed = HEAD + ('loader_args = dict(batch_size=2)\nloader_args["batch_size"] = 64\n'
                      'loader = DataLoader(data, **loader_args)\n') + LOOP
    assert check_code(changed, select=("BN301",)) == []


def test_a_constructor_keyword_bundle_gives_a_parameter():
    code = """
        import torch.nn as nn
        from torch.utils.data import DataLoader

        CONFIG = dict(batch_size=1, num_workers=4)

        class DataModule:
            def __init__(self, train_dataset, batch_size=32, num_workers=0):
                self.train_dataset, self.batch_size = train_dataset, batch_size

            def train_dataloader(self):
                return DataLoader(self.train_dataset, batch_size=self.batch_size, shuffle=True, drop_last=True)

        head = nn.Sequential(nn.Linear(27, 64), nn.BatchNorm1d(64))
        module = DataModule(train_set, **CONFIG)
    """
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 11)]


# ---------------------------------------------------------------- BatchNorm that sees one value per channel
POOLED = """
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

class Branch(nn.Module):
    def __init__(self, c, size=1):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c)
        self.pool = nn.AdaptiveAvgPool2d(size)

    def forward(self, x):
        return self.bn(self.conv({pooled}))

    def _squeeze(self, x):
        return F.adaptive_avg_pool2d(x, 1)

def train(model, train_set, opt):
    for x, y in DataLoader(train_set, batch_size=8, shuffle=True):
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
"""


@pytest.mark.parametrize("pooled, expected", [
    ("F.adaptive_avg_pool2d(x, 1)", [("BN302", 19)]),
    ("F.adaptive_avg_pool2d(x, (1, 1))", [("BN302", 19)]),
    ("x.mean((2, 3), keepdim=True)", [("BN302", 19)]),
    ("F.avg_pool2d(x, x.size()[2:])", [("BN302", 19)]),
    ("F.adaptive_avg_pool2d(x, 4)", []),
    ("x.mean((2, 3))", []),  # (N, C): a Conv2d would not take it
    ("x", []),
    # (what the chain interpreter shows and a scan of `forward` did not: a helper method given the pooled map, a
    # map reshaped to 1×1, a pool to a size a parameter's default gives)
    ("self._squeeze(x)", [("BN302", 19)]),
    ("x.mean(3).mean(2).view(x.size(0), -1, 1, 1)", [("BN302", 19)]),
    ("self.pool(x)", [("BN302", 19)]),
])
def test_batchnorm_after_pooling_to_one_by_one(pooled, expected):
    warnings = helpers.check_code(POOLED.format(pooled=pooled), select=("BN302",))
    assert helpers.codes_and_lines(warnings) == expected


def test_pyramid_pooling_bins_from_a_parameter_default():
    code = """
        import torch.nn as nn
        from torch.utils.data import DataLoader

        class PPM(nn.Module):
            def __init__(self, cin, bins={bins}):
                super().__init__()
                self.stages = nn.ModuleList([self._stage(cin, b) for b in bins])

            def _stage(self, cin, size):
                return nn.Sequential(nn.AdaptiveAvgPool2d(size), nn.Conv2d(cin, cin // 4, 1, bias=False),
                                     nn.BatchNorm2d(cin // 4), nn.ReLU())

        def loaders(train_set):
            return DataLoader(train_set, batch_size=12, shuffle=True)
    """
    found = helpers.check_code(code.format(bins="(1, 2, 3, 6)"), select=("BN302",))
    assert helpers.codes_and_lines(found) == [("BN302", 14)]
    assert helpers.check_code(code.format(bins="(2, 3, 6)"), select=("BN302",)) == []


# ---------------------------------------------------------------- a model run on one sample
@pytest.mark.parametrize("call, expected", [
    ("hl.build_graph(model, torch.zeros([1, 300]))", [("BN301", 6)]),
    ("model(torch.randn(1, 300))", [("BN301", 6)]),
    ("model(torch.randn(4, 300))", []),
    ("model.eval()\nmodel(torch.randn(1, 300))", []),
    ("with torch.no_grad():\n    model(torch.randn(1, 300))", []),  # inference code (BN101's)
    # a library runner's forward: `thop.profile(model, inputs=(x,))`, its size on every branch `[1] + ...`
    ("import thop\nflops, params = thop.profile(model, inputs=(torch.randn(1, 300),))", [("BN301", 7)]),
    ("import thop\nsize = [1] + [300] if len(sys.argv) > 1 else [1, 300]\nthop.profile(model, inputs=(torch.zeros(size),))",
     [("BN301", 8)]),
    ("import thop\nsize = [4, 300] if len(sys.argv) > 1 else [1, 300]\nthop.profile(model, inputs=(torch.zeros(size),))", []),
    # a failure the code expects: the graph is not written, nothing else breaks
    ("try:\n    hl.build_graph(model, torch.zeros([1, 300]))\nexcept RuntimeError:\n    pass", []),
])
def test_a_model_run_on_one_sample_in_training_mode(call, expected):
    code = ("import hiddenlayer as hl\nimport sys\nimport torch\nimport torch.nn as nn\n"
            "model = nn.Sequential(nn.Linear(300, 100), nn.BatchNorm1d(100), nn.Tanh(), nn.Linear(100, 3))\n" + call + "\n")
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected


def test_spatial_batchnorm_on_one_image_is_not_a_single_sample_finding():
    code = ("import torch\nimport torch.nn as nn\n\n"
            "model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())\n"
            "out = model(torch.randn(1, 3, 32, 32))\n")
    assert check_code(code, select=("BN301",)) == []


# ---------------------------------------------------------------- OpenMMLab configs
MM_CONFIG = """
norm_cfg = dict(type="{norm}", requires_grad=True)
model = dict(
    type="EncoderDecoder",
    backbone=dict(type="ResNetV1c", depth=50, norm_cfg=norm_cfg{eval}),
    decode_head=dict(type="ASPPHead", in_channels=2048, channels=512, norm_cfg=norm_cfg, num_classes=19),
)
data = dict(samples_per_gpu={per_gpu}, workers_per_gpu=1)
"""


@pytest.mark.parametrize("norm, eval_, per_gpu, expected", [
    ("BN", "", 1, [("BN301", 7)]),
    ("BN", "", 4, [("BN301", 7)]),
    ("BN", "", 8, []),
    ("SyncBN", "", 1, []),  # statistics over every GPU's samples
    ("BN", ", norm_eval=True", 1, []),  # frozen statistics
])
def test_a_per_gpu_batch_of_an_openmmlab_config(norm, eval_, per_gpu, expected):
    code = MM_CONFIG.format(norm=norm, eval=eval_, per_gpu=per_gpu)
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected


def test_a_per_gpu_batch_set_by_a_script():
    code = """
        from mmcv import Config
        from mmseg.apis import train_segmentor

        cfg = Config.fromfile("configs/pspnet/pspnet_r50-d8_512x1024_40k_cityscapes.py")
        cfg.norm_cfg = dict(type="BN", requires_grad=True)
        cfg.model.decode_head.norm_cfg = cfg.norm_cfg
        cfg.data.samples_per_gpu = 1
        train_segmentor(model, datasets, cfg)
    """
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 7)]


# ---------------------------------------------------------------- attribute-tree configs (yacs, EasyDict)
TREE = """
import torch.nn as nn
from torch.utils.data import DataLoader
from yacs.config import CfgNode as CN

_C = CN()
_C.TRAIN = CN()
_C.TRAIN.BATCH_SIZE = 1
cfg = _C
{more}
net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

def build_train_loader(dataset):
    return DataLoader(dataset, batch_size=cfg.TRAIN.BATCH_SIZE, shuffle=True)
"""


@pytest.mark.parametrize("more, expected", [
    ("", [("BN301", 13)]),
    ("cfg.merge_from_file('experiment.yaml')", []),  # the experiment's file decides at run time
    ("_C.TRAIN.BATCH_SIZE = 32", []),  # written twice
    ("_C.TRAIN = CN(new_allowed=True)", []),  # the subtree replaced
])
def test_a_batch_size_from_a_config_tree(more, expected):
    assert codes_and_lines(check_code(TREE.format(more=more), select=("BN301",))) == expected


def test_a_config_dict_as_the_default_of_an_uncalled_builder():
    code = """
        import torch.nn as nn
        from torch.utils.data import DataLoader

        CONFIG = {"train": {"batch_size": 1}, "val": {"batch_size": 16}}
        net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

        def get_loaders(train_ds, val_ds, cfg=CONFIG):
            train_loader = DataLoader(train_ds, batch_size=cfg["train"]["batch_size"], shuffle=True)
            val_loader = DataLoader(val_ds, batch_size=cfg["val"]["batch_size"])
            return train_loader, val_loader
    """
    assert codes_and_lines(check_code(code, select=("BN301",))) == [("BN301", 8)]


@pytest.mark.parametrize("source, expected", [
    ("""
import torch.nn as nn
from yacs.config import CfgNode as CN

_C = CN()
_C.MODEL = CN()
_C.MODEL.BN_MOMENTUM = 0.99
cfg = _C

def conv_bn(cin, cout, momentum):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout, momentum=momentum))

stem = conv_bn(3, 16, momentum=cfg.MODEL.BN_MOMENTUM)
""", [("BN205", 10)]),
    ("""
import torch.nn as nn

class Config:
    bn_momentum = 0.9

class Net(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.bn = nn.BatchNorm1d(64, momentum=config.bn_momentum)

net = Net(Config)
""", [("BN205", 9)]),
    ("""
import torch.nn as nn

class Config:
    bn_momentum = 0.9

Config.bn_momentum = 0.1

class Net(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.bn = nn.BatchNorm1d(64, momentum=config.bn_momentum)

net = Net(Config)
""", []),
])
def test_a_momentum_from_a_settings_object(source, expected):
    assert codes_and_lines(check_code(source, select=("BN205",))) == expected


PER_DEVICE = """
import argparse
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default={total}, help="over all GPUs")
args = parser.parse_args()

def main(rank):
    dist.init_process_group("nccl")
    model = DDP(nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16)).to(rank), device_ids=[rank])
    loader = DataLoader(data, batch_size={split}, sampler=DistributedSampler(data))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        nn.functional.cross_entropy(model(x).mean((2, 3)), y).backward()
        opt.step()
"""


@pytest.mark.parametrize("total, split, expected", [
    (8, "args.batch_size // dist.get_world_size()", [("BN304", 15)]),
    (8, "int(args.batch_size / torch.cuda.device_count())", [("BN304", 15)]),
    (64, "args.batch_size // dist.get_world_size()", []),  # at most 32 per device: unknown, maybe fine
    (8, "args.batch_size // 1", []),  # a known divisor: the exact size (8) decides
])
def test_a_global_batch_split_over_an_unknown_world_size(total, split, expected):
    code = PER_DEVICE.format(total=total, split=split)
    assert codes_and_lines(check_code(code, select=("BN304",))) == expected


@pytest.mark.parametrize("build, expected", [
    ("models.segmentation.deeplabv3_resnet50(weights='DEFAULT')", [("BN302", 5)]),  # ASPP image pooling (the loader)
    ("models.resnet18(weights='DEFAULT')", []),  # spatial BatchNorm only
])
def test_a_library_model_with_batchnorm_after_pooling(build, expected):
    code = f"""
        import torch
        from torch.utils.data import DataLoader
        from torchvision import models
        model = {build}
        train_loader = DataLoader(train_set, batch_size=8, shuffle=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        for images, masks in train_loader:
            loss = torch.nn.functional.cross_entropy(model(images)["out"], masks)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """
    assert helpers.codes_and_lines(helpers.check_code(code, select=("BN302",))) == expected


@pytest.mark.parametrize("default, expected", [(1, [("BN301", 16)]), (32, [])])
def test_a_lightning_hyperparameter_gives_the_batch_size(default, expected):
    code = f"""
        import lightning as L
        import torch.nn as nn
        from torch.utils.data import DataLoader

        class LitModel(L.LightningModule):
            def __init__(self, lr=1e-3, batch_size={default}):
                super().__init__()
                self.save_hyperparameters()
                self.net = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU())

            def training_step(self, batch, batch_idx):
                x, y = batch
                return nn.functional.cross_entropy(self.net(x).mean((2, 3)), y)

            def train_dataloader(self):
                return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

            def val_dataloader(self):
                return DataLoader(self.val_set, batch_size=self.hparams.batch_size)
    """
    assert codes_and_lines(check_code(code, select=("BN301",))) == expected
