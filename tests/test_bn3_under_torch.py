"""The BN301/BN302 fixtures really crash or degrade under torch, as their messages say; the clean twins run."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
BN3 = ROOT / "fixtures" / "bn3"
CLEAN = ROOT / "fixtures" / "clean"
CRASH = "Expected more than 1 value per channel when training"


def run_script(path: Path, monkeypatch) -> None:
    """Run a fixture as `python path` (its training code sits under `if __name__ == "__main__":`)."""
    monkeypatch.setattr(sys, "argv", [str(path)])
    monkeypatch.syspath_prepend(str(path.parent))
    torch.manual_seed(0)
    runpy.run_path(str(path), run_name="__main__")


@pytest.mark.parametrize(
    "name",
    [
        "mlp_batch_of_one.py",  # BN301: --batch-size default 1
        "cnn_default_batch.py",  # BN301: DataLoader without batch_size
        "last_batch_of_one.py",  # BN302: 1001 samples, batches of 100
        "split_last_batch.py",  # BN302: random_split -> 901 samples, batches of 50
    ],
)
def test_bad_fixture_crashes_in_training(name, monkeypatch, capsys):
    with pytest.raises(ValueError, match=CRASH):
        run_script(BN3 / name, monkeypatch)


@pytest.mark.parametrize(
    "name", ["mlp_batch_64.py", "cnn_batch_16.py", "last_batch_dropped.py", "split_batches_of_64.py", "eval_and_groupnorm.py"]
)
def test_clean_twin_runs(name, monkeypatch, capsys):
    run_script(CLEAN / name, monkeypatch)


def test_last_batch_crash_comes_after_a_full_epoch_of_work(monkeypatch):
    """BN302's claim: the crash happens at the end of the epoch, after the full batches trained."""
    module = runpy.run_path(str(BN3 / "last_batch_of_one.py"))
    model, dataset = module["model"], module["dataset"]
    loader = torch.utils.data.DataLoader(dataset, batch_size=module["BATCH_SIZE"], shuffle=True)
    sizes = []
    with pytest.raises(ValueError, match=CRASH):
        for x, _ in loader:
            sizes.append(len(x))
            model(x)
    assert sizes == [100] * 10 + [1]


def test_dataclass_default_batch_of_one_crashes():
    module = runpy.run_path(str(BN3 / "click_and_env.py"))
    config = module["FinetuneConfig"]()
    loader = torch.utils.data.DataLoader(module["data"], batch_size=config.batch_size)
    with pytest.raises(ValueError, match=CRASH):
        module["fit"](module["net"](), loader, config.lr)


def test_batch_norm_2d_with_batch_of_one_normalises_each_image_by_itself():
    """BN301's claim for 2D inputs: no crash, but each sample's per-channel mean is erased."""
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(4).train()
    image = torch.randn(1, 4, 8, 8) * 3 + 5
    out = bn(image)
    assert torch.allclose(out.mean((0, 2, 3)), torch.zeros(4), atol=1e-5)


def test_small_batch_statistics_are_noisy():
    """BN301's warning for batch 4 (small_batch_config.py): batch means scatter ~sqrt(64/4) = 4x more than at 64."""
    module = runpy.run_path(str(BN3 / "small_batch_config.py"))
    torch.manual_seed(0)
    dataset = module["build_dataset"](512)
    model = module["build_model"]().train()
    conv, bn = model[0], model[1]
    assert isinstance(bn, torch.nn.BatchNorm2d)

    def spread(batch_size):
        means = []
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
        with torch.no_grad():
            for image, _ in loader:
                means.append(conv(image).mean((0, 2, 3)))
        return torch.stack(means).std(0).mean().item()

    assert module["CONFIG"]["batch_size"] == 4
    assert spread(4) > 2.5 * spread(64)

