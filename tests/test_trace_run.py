"""`bn-lint trace` as a person debugging a training run uses it: one finding per mistake on the
ResNet training script, the HTML page (rendered in headless Chromium when installed), the JSONL
statistics, live output, SIGTERM/SIGINT, `-m MODULE` and torchrun."""
from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "fixtures" / "runtime" / "bn101_resnet_training_run.py"
CHROMIUM = Path("/usr/bin/chromium")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def trace(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "bn_lint", "trace", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=cwd)


def line_with(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def resnet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = trace("--format", "json", "-o", out / "report.json", "--report", out / "run.html", "--stats-out",
                   out / "stats.jsonl", "--stats-every", "1", "--live", RUN, "--steps", "3")
    assert result.returncode == 0, result.stderr
    return out, result


def test_resnet_run_has_one_bn101_at_the_evaluation_call_and_one_bn203_at_the_head(resnet_run):
    out, result = resnet_run
    findings = json.loads((out / "report.json").read_text())
    got = sorted((f["code"], f["line"]) for f in findings)
    assert got == [("BN101", line_with(RUN, "logits = model(images)")), ("BN203", line_with(RUN, "self.norm = nn.BatchNorm1d(64)"))]
    bn101 = next(f for f in findings if f["code"] == "BN101")
    assert bn101["message"].startswith("SmallResNet: evaluated in training mode under torch.no_grad()")
    assert bn101["message"].endswith("[6 calls; 7 BatchNorm layers: stem.1, layer1.bn1, layer1.bn2, layer2.bn1, "
                                     "layer2.bn2, layer2.shortcut.1, +1 more]")
    assert bn101["column"] == line_with_text(RUN, "logits = model(images)").index("model(") + 1
    bn203 = next(f for f in findings if f["code"] == "BN203")
    assert "comes from Linear SmallResNet.head.proj" in bn203["message"] and "L == E == 64" in bn203["message"]
    # --live: each finding on stderr when first seen, before the run ended
    live = [line for line in result.stderr.splitlines() if line.startswith("bn-lint trace: ") and ": BN" in line]
    assert [re.search(r" (BN\d+) ", line).group(1) for line in live] == ["BN203", "BN101"]
    assert result.stderr.index("BN101") < result.stdout.count("\n") + len(result.stderr)  # printed, not only at exit


def line_with_text(path: Path, text: str) -> str:
    return next(line for line in path.read_text().splitlines() if text in line)


def test_stats_jsonl_has_every_layer_every_step(resnet_run):
    out, _ = resnet_run
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    layers = {r["layer"] for r in rows}
    assert len(layers) == 7 and "SmallResNet.head.norm" in layers
    stem = [r for r in rows if r["layer"] == "SmallResNet.stem.1"]
    assert [r["step"] for r in stem] == list(range(1, 13))  # 2 x 3 training steps + 2 x 3 evaluation calls
    assert set(stem[0]) == {"layer", "step", "batch", "mean_mean", "mean_min", "mean_max", "var_mean", "var_min",
                            "var_max", "mode", "finding"}
    assert [r["finding"] for r in stem] == ([""] * 3 + ["BN101"] * 3) * 2
    # the evaluation calls of the script (3 after each epoch's 3 training steps) ran in training mode under no_grad
    assert [r["mode"] for r in stem] == (["train"] * 3 + ["train (no_grad)"] * 3) * 2
    first, last = stem[0], stem[-1]
    assert first["batch"] == 16 and first["mean_min"] <= first["mean_mean"] <= first["mean_max"]
    assert first["var_min"] <= first["var_mean"] <= first["var_max"]
    assert last["var_mean"] < first["var_mean"]  # running_var drifts from its initial 1 towards the data


def test_html_report_is_self_contained_with_tables_and_plots(resnet_run):
    out, _ = resnet_run
    page = (out / "run.html").read_text()
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    for ident in ("plot-mean", "plot-var", "plot-batch"):
        assert f'id="{ident}"' in page
    assert page.count('<tr class="bad">') == 0 and "SmallResNet.head.norm" in page and "BN203" in page
    assert page.count("<td>train, train (no_grad)</td>") == 7  # modes seen: the forgotten eval() shows


def _png_pixels_vary(path: Path) -> bool:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat))) > 16


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(resnet_run, tmp_path):
    out, _ = resnet_run
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars"]
    url = (out / "run.html").as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    figures = re.findall(r'<figure class="plot" id="([\w-]+)">(.*?)</figure>', dom, re.S)
    assert [ident for ident, _ in figures] == ["plot-mean", "plot-var", "plot-batch"]
    for ident, body in figures[:2]:
        assert "<svg" in body and len(re.findall(r'<polyline class="series"', body)) == 7  # one line per layer
    batch = figures[2][1]
    assert len(re.findall(r'<polyline class="series" fill="none" stroke="#333"', batch)) == 1
    # the evaluation calls made in training mode under no_grad, after each epoch: red dots, 3 per epoch; red
    # is a finding on every plot, and no layer's line is red
    assert len(re.findall(r'<circle class="finding"[^>]*fill="#d62728"', batch)) == 6
    assert 'stroke="#d62728"' not in dom.replace('class="marker"', "")
    assert len(re.findall(r"<tr>", dom)) >= 7 + 2  # a row per layer, a row per finding
    shot = tmp_path / "run.png"
    subprocess.run([*flags, "--window-size=1200,1700", f"--screenshot={shot}", url], capture_output=True,
                   timeout=120)
    assert shot.stat().st_size > 20_000 and _png_pixels_vary(shot)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_bn401_moment_is_marked_on_the_plots(tmp_path, write):
    script = write("nan.py", """
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 8), nn.BatchNorm1d(8))
        for step in range(1, 9):
            x = torch.randn(16, 4)
            if step == 5:
                x[0, 0] = float("nan")  # the bad batch
            model(x)
        """)
    result = trace("--format", "json", "-o", tmp_path / "r.json", "--report", tmp_path / "r.html", "--stats-every",
                   "1", script)
    findings = json.loads((tmp_path / "r.json").read_text())
    assert [f["code"] for f in findings] == ["BN401", "BN401"], result.stderr
    first = findings[0]["message"]
    assert "first seen at training step 5 (finite at step 4): the first layer to turn non-finite" in first
    assert "the first layer" not in findings[1]["message"]
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", (tmp_path / "r.html").as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert dom.count('class="marker"') == 2 * 3  # two layers, on each of the three plots
    assert "BN401 Sequential.1 (step 5)" in dom and dom.count('<tr class="bad">') == 2


LONG_RUN = """
    import sys, time
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    with torch.no_grad():
        model(torch.randn(16, 4))  # evaluation without eval()
    print("ready", flush=True)
    time.sleep(120)
    """


@pytest.mark.parametrize("sig,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_signal_writes_the_report(sig, status, tmp_path, write):
    script = write("longrun.py", LONG_RUN)
    proc = subprocess.Popen([sys.executable, "-m", "bn_lint", "trace", "--live", "--format", "json", "-o",
                             str(tmp_path / "r.json"), "--report", str(tmp_path / "r.html"), str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            # (a run started in the background inherits SIGINT ignored, and Python keeps it so)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status, err
    (finding,) = json.loads((tmp_path / "r.json").read_text())
    assert (finding["code"], finding["line"]) == ("BN101", line_with(script, "model(torch.randn(16, 4))"))
    assert (tmp_path / "r.html").read_text().count("BN101") >= 1
    assert "bn-lint trace: " in err and ": BN101 " in err  # printed live, before the signal


def test_a_crashing_script_still_gets_every_output(tmp_path, write):
    script = write("crash.py", """
        import torch
        from torch import nn

        bn = nn.BatchNorm1d(4)
        bn(torch.randn(2, 4))
        raise RuntimeError("boom")
        """)
    result = trace("--format", "json", "-o", tmp_path / "r.json", "--report", tmp_path / "r.html", "--stats-out",
                   tmp_path / "s.jsonl", script)
    assert result.returncode == 1 and "RuntimeError: boom" in result.stderr
    assert [f["code"] for f in json.loads((tmp_path / "r.json").read_text())] == ["BN301"]
    assert (tmp_path / "r.html").exists() and (tmp_path / "s.jsonl").read_text().count("\n") == 1


def test_dash_m_runs_a_module_with_its_arguments(tmp_path, write):
    write("pkg/__init__.py", "")
    write("pkg/train.py", """
        import sys
        import torch
        from torch import nn

        if __name__ == "__main__":
            model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
            model(torch.randn(int(sys.argv[1]), 4))
        """)
    result = trace("--format", "concise", "-m", "pkg.train", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"pkg/train\.py:7:\d+: BN301 Sequential: 3 values per channel", result.stdout), result.stdout
    missing = trace("-m", "pkg.nothing", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.strip().startswith("bn-lint: error: -m pkg.nothing: no module")
    assert "Traceback" not in missing.stderr
    none = trace(cwd=tmp_path)
    assert none.returncode == 2 and "give a SCRIPT" in none.stderr


DDP_SCRIPT = """
    import os
    import torch
    import torch.distributed as dist
    from torch import nn

    dist.init_process_group("gloo")
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16)))
    for _ in range(2):
        model(torch.randn(4, 8)).sum().backward()  # 4 per device
    dist.barrier()
    dist.destroy_process_group()
    os._exit(0)  # gloo's C++ teardown aborts now and then under load ("terminate called without an
    # active exception", 2 of 10 runs of this script without bn-lint on a busy machine); scripts skip it so
    """


@pytest.mark.skipif(sys.platform == "win32", reason="torchrun on POSIX")
def test_torchrun_two_ranks_merged_report(tmp_path, write):
    script = write("ddp.py", DDP_SCRIPT)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                             "-m", "bn_lint", "trace", "--format", "json", "-o", str(tmp_path / "r.json"), str(script)],
                            capture_output=True, text=True, timeout=240, env={**ENV, "OMP_NUM_THREADS": "1"},
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (finding,) = json.loads((tmp_path / "r.json").read_text())
    assert (finding["code"], finding["line"]) == ("BN304", line_with(script, "# 4 per device"))
    assert "ranks 0, 1" in finding["message"] and "4 calls" in finding["message"]


def test_sigterm_in_a_forked_worker_is_not_the_programs(tmp_path, write):
    script = write("fork.py", """
        import os, signal, time
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
        model(torch.randn(2, 4))
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(write, b"x")  # signals that reach a child before Python's after-fork setup are lost
            time.sleep(60)
            os._exit(0)
        os.read(read, 1)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        print("child", os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)
        """)
    result = trace("--format", "concise", script)
    assert result.returncode == 0 and "child True" in result.stdout, result.stderr
    assert result.stdout.count("BN301") == 1 and "Traceback" not in result.stderr


def test_os_exit_still_gets_the_report(tmp_path, write):
    script = write("hard.py", """
        import os
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
        model(torch.randn(2, 4))
        os._exit(3)  # as distributed scripts do to skip a hanging teardown
        """)
    result = trace("--format", "json", "-o", tmp_path / "r.json", script)
    assert result.returncode == 3, result.stderr
    assert [f["code"] for f in json.loads((tmp_path / "r.json").read_text())] == ["BN301"]
