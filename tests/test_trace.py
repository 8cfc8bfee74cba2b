"""The runtime tracer's Python API: findings, naming, non-interference."""
from __future__ import annotations

import subprocess
import sys
import threading
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import bn_lint  # noqa: E402
from bn_lint.trace.core import Tracer  # noqa: E402
from torch.nn.modules import module as _module  # noqa: E402

HERE = __file__


def codes(report):
    return sorted(f.code for f in report.findings)


def global_hooks():
    return (len(_module._global_forward_pre_hooks), len(_module._global_forward_hooks))


def small_net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Flatten(), nn.Linear(8 * 8 * 8, 16), nn.BatchNorm1d(16))


def line_of(text: str) -> int:
    with open(HERE, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if text in line and "line_of(" not in line:
                return number
    raise AssertionError(text)


def test_import_of_bn_lint_cli_and_plugin_does_not_import_torch():
    code = ("import sys, bn_lint, bn_lint.cli, bn_lint.trace, bn_lint.trace.cli, bn_lint.trace.pytest_plugin; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_trace_is_callable_after_the_package_is_imported():
    import bn_lint.trace as module

    assert isinstance(bn_lint.trace(), Tracer) and isinstance(module(), Tracer)


def test_clean_training_and_eval_give_no_findings():
    model = small_net()
    with bn_lint.trace(model) as report:
        model(torch.randn(16, 3, 8, 8)).sum().backward()
        model.eval()
        with torch.no_grad():
            model(torch.randn(2, 3, 8, 8))
    assert not report.findings and report.layers == 2 and report.calls == 4


def test_construction_line_and_module_path():
    with bn_lint.trace() as report:
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(6, affine=False, track_running_stats=False))  # the line
        model(torch.randn(16, 4))
    (finding,) = report.findings
    assert (finding.code, finding.line, finding.path.endswith("test_trace.py")) == (
        "BN201", line_of("# the line"), True)
    assert finding.message.startswith("Sequential.1 (BatchNorm1d): input has 8 channels")
    assert finding.column == line_of_text("# the line").index("nn.BatchNorm1d") + 1


def test_tiny_batch_is_one_finding_at_the_model_call_listing_the_layers():
    with bn_lint.trace() as report:
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 8), nn.BatchNorm1d(8))
        for _ in range(3):
            model(torch.randn(2, 4))  # the call
    (finding,) = report.findings
    assert (finding.code, finding.line) == ("BN301", line_of("# the call"))
    assert finding.column == line_of_text("# the call").index("model(") + 1
    assert finding.message.startswith("Sequential: 2 values per channel")
    assert "[3 calls; 2 BatchNorm layers: 1, 3]" in finding.message


def line_of_text(text: str) -> str:
    with open(HERE, encoding="utf-8") as handle:
        return next(line for line in handle if text in line and "line_of" not in line)


def test_model_argument_names_with_prefix_and_ignores_other_models():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn1 = nn.BatchNorm1d(3)

        def forward(self, x):
            return self.bn1(x)

    model = nn.Sequential(Block())  # built before tracing: fallback to `self.bn1 =`
    other = nn.BatchNorm1d(3)
    with bn_lint.trace(model) as report:
        with pytest.raises(RuntimeError):
            model(torch.randn(16, 4))  # PyTorch raises after the tracer saw the call
        other(torch.randn(2, 3))
    (finding,) = report.findings
    assert finding.message.startswith("model.0.bn1 (BatchNorm1d)")
    assert finding.code == "BN201"  # `other` is not part of `model`
    assert finding.line == line_of("self.bn1 = nn.BatchNorm1d(3)")
    assert "(built before tracing started; shown at `self.bn1 =` in " in finding.message
    assert "construction line unknown" not in finding.message


def test_each_finding_once_per_layer_with_count_and_first_call():
    bn = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    with bn_lint.trace() as report:
        for _ in range(5):
            bn(torch.randn(16, 5))  # first call
    (finding,) = report.findings
    assert finding.code == "BN201"
    assert "[5 calls; first at " in finding.message and f":{line_of('# first call')}]" in finding.message


def test_rank_and_width_checks_including_the_silent_case():
    with bn_lint.trace() as report:
        quiet = nn.BatchNorm1d(5, affine=False, track_running_stats=False)
        quiet(torch.randn(10, 6))
        with pytest.raises(ValueError):
            nn.BatchNorm2d(3)(torch.randn(10, 3))
        with pytest.raises(ValueError):
            nn.BatchNorm3d(3)(torch.randn(10, 3, 4, 4))
    assert codes(report) == ["BN201", "BN202", "BN202"]
    assert "PyTorch raises nothing" in next(f.message for f in report.findings if f.code == "BN201")


def test_batch_of_one_is_an_error_and_spatial_values_count():
    with bn_lint.trace() as report:
        with pytest.raises(ValueError):
            nn.BatchNorm1d(4)(torch.randn(1, 4))
        nn.BatchNorm2d(4)(torch.randn(1, 4, 8, 8))  # 64 values per channel: not BN301, but one sample (BN302)
    assert sorted((f.code, f.severity.value) for f in report.findings) == [("BN301", "error"), ("BN302", "error")]


def test_min_batch_size_is_configurable():
    with bn_lint.trace(min_batch_size=2) as report:
        nn.BatchNorm1d(4)(torch.randn(3, 4))
    assert not report.findings


def test_training_mode_under_no_grad_and_inference_mode():
    model = small_net()
    with bn_lint.trace(model) as report:
        with torch.no_grad():
            for _ in range(4):
                model(torch.randn(16, 3, 8, 8))  # evaluation
    (finding,) = report.findings
    assert (finding.code, finding.line) == ("BN101", line_of("# evaluation"))
    assert finding.message.startswith("model (Sequential): evaluated in training mode under torch.no_grad()")
    assert finding.message.endswith("[4 calls; 2 BatchNorm layers: 1, 5]")
    model = small_net()
    with bn_lint.trace() as report:
        with torch.inference_mode():
            model(torch.randn(16, 3, 8, 8))
    (finding,) = report.findings
    assert finding.code == "BN101" and "inference_mode" in finding.message
    assert finding.message.startswith("Sequential: evaluated")


def test_no_grad_inside_a_model_call_checkpointing_and_recalibration_are_not_bn101():
    class WithTeacher(nn.Module):
        def __init__(self):
            super().__init__()
            self.student, self.teacher = small_net(), small_net()

        def forward(self, x):
            with torch.no_grad():  # MoCo-style key encoder: deliberate
                target = self.teacher(x)
            return (self.student(x) - target).pow(2).mean()

    model = WithTeacher()
    ckpt = small_net()
    with bn_lint.trace() as report:
        model(torch.randn(16, 3, 8, 8)).backward()
        x = torch.randn(16, 3, 8, 8, requires_grad=True)
        torch.utils.checkpoint.checkpoint(ckpt, x, use_reentrant=True).sum().backward()

        def update_bn(net):
            with torch.no_grad():
                net(torch.randn(16, 3, 8, 8))

        update_bn(small_net())
        cumulative = small_net()
        for m in cumulative.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = None
        with torch.no_grad():
            cumulative(torch.randn(16, 3, 8, 8))
    assert codes(report) == []


def test_mixed_modes_reported_once_unless_freezing_is_stated():
    model = small_net()
    model[1].eval()
    with bn_lint.trace(model) as report:
        for _ in range(3):
            model(torch.randn(16, 3, 8, 8))
    (finding,) = report.findings
    assert finding.code == "BN403" and finding.message.startswith("model.1 (BatchNorm2d)") and "3 calls" in finding.message

    frozen = small_net()
    frozen[1].eval()
    frozen[1].requires_grad_(False)
    with bn_lint.trace(frozen) as report:
        frozen(torch.randn(16, 3, 8, 8))
    assert not report.findings

    class NormEval(nn.Sequential):
        def train(self, mode=True):
            super().train(mode)
            self[1].eval()
            return self

    managed = NormEval(*small_net())
    managed.train()
    with bn_lint.trace(managed) as report:
        managed(torch.randn(16, 3, 8, 8))
    assert not report.findings


def test_end_of_run_statistics():
    poisoned, exploded, fine = nn.BatchNorm1d(3), nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    with bn_lint.trace() as report:
        x = torch.randn(16, 3)
        x[0, 0] = float("nan")
        poisoned(x)
        exploded(torch.randn(16, 3) * 1e6)
        fine(torch.randn(16, 3))
    assert codes(report) == ["BN401", "BN402"]


def test_stats_of_a_model_freed_before_the_end_are_still_checked():
    def run():
        bn = nn.BatchNorm1d(3)
        bn(torch.full((16, 3), float("inf")))

    with bn_lint.trace() as report:
        run()
    assert codes(report) == ["BN401"]


def test_lazy_and_sync_batchnorm_are_traced():
    lazy = nn.Sequential(nn.Linear(4, 6), nn.LazyBatchNorm1d())
    with bn_lint.trace() as report:
        lazy(torch.randn(16, 4))
        lazy(torch.randn(16, 4))
        sync = nn.SyncBatchNorm(5)
        sync.eval()
        with pytest.raises(RuntimeError):
            sync(torch.randn(4, 6, 3))  # width mismatch: PyTorch raises inside, the tracer saw it first
    assert report.layers == 2 and codes(report) == ["BN201"]


def test_functional_batch_norm_is_opt_in():
    x = torch.randn(4, 6)
    with bn_lint.trace() as report:
        torch.nn.functional.batch_norm(x, None, None, training=True)
    assert not report.findings
    with bn_lint.trace(functional=True) as report:
        out = torch.nn.functional.batch_norm(x, None, None, training=True)  # functional call
        nn.BatchNorm1d(6)(torch.randn(16, 6))  # a module call: checked once, by the module hook
    (finding,) = report.findings
    assert finding.code == "BN301" and finding.line == line_of("# functional call")
    assert torch.equal(out, torch.nn.functional.batch_norm(x, None, None, training=True))


def test_outputs_and_statistics_are_bit_identical():
    def run(traced: bool):
        torch.manual_seed(0)
        model = small_net()
        model[1].eval()  # BN403 on the way
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        outs = []
        ctx = bn_lint.trace(model, functional=True) if traced else _null()
        with ctx:
            for _ in range(3):
                out = model(torch.randn(4, 3, 8, 8))
                out.sum().backward()
                opt.step()
                outs.append(out.detach())
            model.eval()
            with torch.no_grad():
                outs.append(model(torch.randn(4, 3, 8, 8)))
        return outs, model.state_dict()

    plain, traced = run(False), run(True)
    assert all(torch.equal(a, b) for a, b in zip(plain[0], traced[0]))
    assert all(torch.equal(plain[1][k], traced[1][k]) for k in plain[1])


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_every_hook_removed_also_on_exceptions_and_exception_unchanged():
    before = global_hooks()
    init = nn.modules.batchnorm._BatchNorm.__init__
    error = KeyError("mine")
    with pytest.raises(KeyError) as caught:
        with bn_lint.trace(functional=True):
            nn.BatchNorm1d(3)(torch.randn(4, 3))
            raise error
    assert caught.value is error
    assert global_hooks() == before
    assert nn.modules.batchnorm._BatchNorm.__init__ is init
    assert torch.overrides._get_current_function_mode() is None


def test_nested_tracers_both_see_calls_and_clean_up():
    before = global_hooks()
    init = nn.modules.batchnorm._BatchNorm.__init__
    with bn_lint.trace() as outer:
        with bn_lint.trace() as inner:
            bn = nn.BatchNorm1d(3)
            bn(torch.randn(2, 3))
        bn(torch.randn(2, 3))
    assert global_hooks() == before and nn.modules.batchnorm._BatchNorm.__init__ is init
    assert len(inner.findings) == 1 and len(outer.findings) == 2  # two call sites
    assert inner.findings[0] == outer.findings[0]


def test_concurrent_threads():
    results = []

    def work():
        model = small_net()
        with bn_lint.trace(model) as report:
            for _ in range(5):
                model(torch.randn(16, 3, 8, 8))
        results.append(report)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    seen = [(r.calls, [f.to_dict() for f in r.findings], r.warnings) for r in results]
    assert len(results) == 3 and all(not r.findings and r.calls == 10 for r in results), seen


def test_a_failing_hook_never_reaches_the_user(monkeypatch):
    tracer = Tracer()

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(tracer, "_on_batchnorm", broken)
    with tracer as report:
        out = nn.BatchNorm1d(3)(torch.randn(4, 3))
    assert out.shape == (4, 3) and any("boom" in w for w in report.warnings)


def test_torch_compile_is_skipped_with_one_warning():
    model = small_net()
    compiled = torch.compile(model, backend="eager")
    x = torch.randn(16, 3, 8, 8)
    expected = model(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with bn_lint.trace() as report:
            for _ in range(2):
                out = compiled(x)
    assert torch.equal(out, expected)
    ours = [w for w in caught if "bn-lint trace" in str(w.message)]
    assert len(ours) == 1 and "torch.compile" in str(ours[0].message)
    assert report.warnings


def test_noqa_on_the_construction_line_or_on_the_call():
    with bn_lint.trace() as report:
        bn = nn.BatchNorm1d(3)  # noqa: BN301
        bn(torch.randn(2, 3))
        model = nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm1d(3))  # noqa: BN301
        model(torch.randn(2, 3))
        other = nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm1d(3))
        other(torch.randn(2, 3))  # noqa: BN301
    assert not report.findings
    with bn_lint.trace() as report:
        model = nn.Sequential(nn.BatchNorm1d(3),  # noqa: BN301
                              nn.BatchNorm1d(3))
        model(torch.randn(2, 3))
    (finding,) = report.findings
    assert finding.message.endswith("[1 call; 1 BatchNorm layer: 1]")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_without_host_device_sync():
    model = small_net().cuda()
    x = torch.randn(16, 3, 8, 8, device="cuda")
    model(x)  # warm up outside sync-debug mode
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        with bn_lint.trace(model, gather=False) as report:
            tracer_report = report
            for _ in range(3):
                model(x[:2])
            with torch.no_grad():
                model(x)
            torch.cuda.set_sync_debug_mode(0)  # the end-of-run checks sync once, on purpose
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert codes(tracer_report) == ["BN101", "BN301"]
