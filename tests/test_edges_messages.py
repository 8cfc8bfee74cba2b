"""Issue 27 D34/D35: message wording, the fix on its own ``help:`` line, and rule pages that are true."""
from __future__ import annotations

from conftest import FIXTURES, ROOT, run_cli

from helpers import check_code


def test_d34_cross_file_bn101_reads_as_a_sentence():
    proc = run_cli("check", "--no-cache", "--format", "concise", "loops.py", cwd=FIXTURES / "bn1" / "eval_helper_elsewhere")
    message = proc.stdout.decode()
    assert "where it is" not in message
    assert "main.py passes `model` at line 16 in training mode: `train_one_epoch()` at line 15 calls `.train()`" in message


def test_d34_widths_are_not_written_as_keyword_arguments():
    (finding,) = check_code(
        """
        import torch.nn as nn
        num_input_features = 256
        layers = nn.Sequential(nn.Conv2d(3, 128, 3, bias=False), nn.BatchNorm2d(num_input_features))
        """,
        select=("BN201",),
    )
    assert "BatchNorm2d(num_input_features, which is 256)" in finding.message
    assert "num_input_features = 256" not in finding.message


def test_d34_bn104_has_no_nested_parentheses():
    (finding,) = check_code(
        """
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        torch.onnx.export(model, torch.randn(1, 3, 8, 8), "m.onnx")
        """,
        select=("BN104",),
    )
    assert "((" not in finding.message and ")) " not in finding.message and "); no" not in finding.message


def test_d34_bn302_does_not_name_a_layer_the_model_may_not_have():
    (finding,) = check_code(
        """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        loader = DataLoader(TensorDataset(torch.randn(257, 3, 8, 8)), batch_size=32, shuffle=True)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for (x,) in loader:
            model(x).sum().backward()
            opt.step()
        """,
        select=("BN302",),
    )
    assert "BatchNorm1d raises" not in finding.message and len(finding.message) < 260


def test_d35_fix_on_its_own_help_line(tmp_path):
    (tmp_path / "v.py").write_text("def validate(model, loader):\n    model.eval\n    return [model(x) for x in loader]\n")
    out = run_cli("check", "--no-cache", "v.py", cwd=tmp_path).stdout.decode().splitlines()
    assert "  help: call `model.eval()`" in out


def test_d35_rule_pages_are_true():
    page = (ROOT / "rules" / "BN901.md").read_text()
    assert "Add `# noqa: BN901` to the reported line" not in page and "extend-exclude" in page
    assert "../shared" not in (ROOT / "bn_lint" / "trace" / "report.py").read_text()
