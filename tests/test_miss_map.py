"""The miss map (issue 41): the fix-commit corpus's misses grouped by the capability they need, one small
reduction for each (tests/data/realcommits/MISSES.md says which miss each stands for).

Each folder in ``tests/data/realcommits/reductions/`` holds ``bug/`` (the miss, reduced) and ``fired/`` (one change
away, which bn-lint reports). ``fired/`` must report its code at its line. ``bug/`` must stay silent for that code
while its reduction is in GAPS; when a capability lands, its ``bug/`` reports and the test says so: take it off
GAPS (and mark the group "found now" in MISSES.md). A reduction not in GAPS is a closed gap: ``bug/`` must report.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DATA = Path(__file__).parent / "data" / "realcommits" / "reductions"

# reduction -> (code, path, line) that fired/ reports; bug/ is the same finding's miss
EXPECTED = {
    "100_pointnet2_cls_drop_last": ("BN302", "train.py", 25),
    "107_virtex_linear_frozen_bn": ("BN105", "train.py", 12),
    "108_d2_syncbn_single_process": ("BN303", "train.py", 9),
    "110_tacto_grasp_eval": ("BN101", "eval.py", 20),
    "112_simplecv_freeze_params_bn": ("BN105", "train.py", 8),
    "200_classy_torchscript_tutorial": ("BN104", "a.py", 4),
    "1405_kws_export_helper_in_other_file": ("BN104", "run.py", 7),
    "1500_enet_test_class_runs_given_model": ("BN101", "test.py", 9),
    "1405_kws_export_model_by_keyword": ("BN104", "export.py", 5),
    "1417_cryoet_builder_branch_builds_bn": ("BN104", "trace.py", 8),
    "1412_hnd_builder_returns_none_for_unknown_kind": ("BN101", "check.py", 10),
    "1412_hnd_helper_runs_model_on_synthetic_input": ("BN101", "study.py", 25),
    "200_classy_registry_inherited_constructor": ("BN104", "a.py", 6),
    "201_monai_gradcam_train_mode": ("BN101", "gradcam.py", 7),
    "203_effnet_tf_bn_momentum": ("BN205", "model.py", 9),
    "207_ppe_validation_leaves_eval": ("BN103", "trainer.py", 30),
    "208_hidden_validate_train_mode": ("BN101", "hidden.py", 19),
    "210_torchsummary_recursive_hooks": ("BN101", "summary.py", 16),
    "210_torchsummary_forward_train_mode": ("BN101", "summary.py", 8),
    "301_lightly_linear_clf_freeze_requires_grad": ("BN105", "a.py", 7),
    "302_lightly_smog_head_bn_width": ("BN201", "a.py", 9),
    "303_pyg_randlanet_tf_momentum": ("BN205", "a.py", 10),
    "304_deepchem_validation_callback_eval_never_reset": ("BN103", "a.py", 17),
    "305_nemo_exportable_trace_train_mode": ("BN104", "a.py", 14),
    "306_tts_vits_speaker_encoder_frozen_train": ("BN105", "a.py", 18),
    "307_nni_pruner_speedup_dummy_forward_train_mode": ("BN101", "a.py", 17),
    "309_nemo_spkr_decoder_bn2d_on_3d": ("BN202", "a.py", 11),
    "310_lightly_linear_clf_eval_reset_by_lightning": ("BN105", "a.py", 9),
    "312_tts_tacotron_evaluate_train_mode": ("BN101", "train.py", 7),
    "400_deeplabv3plus_drop_last": ("BN302", "train.py", 9),
    "403_flip_trigger_eval_never_reset": ("BN103", "train.py", 28),
    "405_yolov3_detect_missing_eval": ("BN101", "detect.py", 8),
    "500_d2l_evaluate_accuracy_gpu": ("BN101", "train.py", 9),
    "501_serve_handler_initialize": ("BN101", "handler.py", 16),
    "501_serve_resnet152_handler": ("BN101", "handler.py", 8),
    "502_pykeen_drop_last_bn": ("BN302", "loop.py", 11),
    "506_fuse_resnet3d_stem_width": ("BN201", "backbone.py", 7),
    "507_dataflowr_smoke_test_before_eval": ("BN101", "cam.py", 7),
    "603_deeplab_bn_momentum": ("BN205", "model.py", 11),
    "604_hourglass_valid_bn_train": ("BN101", "train.py", 22),
    "608_chemprop_freeze_bn_stats": ("BN105", "train.py", 25),
    "1200_lumin_interactionnet_optional_bn": ("BN203", "net.py", 13),
    "609_chemprop_last_batch_of_one": ("BN301", "train.py", 23),
    "611_openstereo_fix_bn_reset_by_train": ("BN105", "base_trainer.py", 20),
    "612_luxonis_export_forward_train_mode": ("BN104", "model.py", 23),
    "700_multibench_valid_train": ("BN101", "train.py", 31),
    "705_glcic_train_test_eval": ("BN101", "train.py", 18),
    "706_microsam_unetr_eval": ("BN101", "trainer.py", 13),
    "708_alaska2_bn1d_width": ("BN201", "model.py", 10),
    "709_synml_demo_eval_dotted_import": ("BN101", "demo.py", 9),
    "711_rtseg_predict_eval": ("BN101", "t.py", 22),
    "711_rtseg_ema_built_from_model": ("BN101", "t.py", 36),
    "711_rtseg_predict_after_epochs": ("BN101", "core/seg.py", 14),
    "712_hairseg_trt_export_eval": ("BN104", "export.py", 7),
    "712_hairseg_block_default": ("BN104", "convert.py", 30),
    "1204_gears_load_then_predict_after_validating_fit": ("BN101", "pkg/runner.py", 31),
    "1205_cpa_train_in_validation_start_hook": ("BN101", "plan.py", 30),
    "1205_cpa_library_lightning_base": ("BN101", "plan.py", 24),
    "1202_yolact_imported_constructor_freezes": ("BN105", "fit.py", 23),
    "1202_yolact_alias_of_a_frozen_model": ("BN105", "fit.py", 23),
    "1306_towhee_trainer_train_method": ("BN105", "trainer.py", 28),
    "1309_inc_loaded_on_other_branch": ("BN101", "main.py", 18),
    "1406_mswc_accuracy_named_evaluation": ("BN101", "lib/scoring.py", 8),
    "1416_siamesenet_lambda_run": ("BN101", "runner.py", 20),
    "1552_fastreid_yacs_typed_parameter_defaults": ("BN201", "net.py", 12),
    "1553_sdflabel_constructor_freeze_trained_as_built": ("BN105", "nets.py", 6),
    "1657_tdnn_class_built_in_another_file": ("BN201", "tdnn.py", 12),
    "1550_autoencodix_loader_of_a_user_dataset": ("BN302", "trainer.py", 10),
    "1650_scvi_frozen_then_base_class_train": ("BN105", "model.py", 29),
    "1655_captcha_imported_class_method_in_loop": ("BN103", "train.py", 29),
    "1501_enet_holders_of_one_model": ("BN103", "main.py", 17),
    "1602_insightface_method_alias_in_class_body": ("BN103", "learner.py", 30),
    "1602_insightface_future_fstrings_codec": ("BN103", "learner.py", 30),
    "1601_se3pose_eval_in_one_branch_trained_in_other": ("BN103", "coord.py", 45),
    "1601_se3pose_python2_print_statement": ("BN103", "coord.py", 13),
    "1904_torch_xla_nested_evaluation_function": ("BN101", "train.py", 15),
    "1904_torch_xla_nested_test_function_in_test_file": ("BN101", "train.py", 19),
    "1903_gpvton_norm_layer_parameter_passed_on": ("BN101", "test.py", 8),
    "1903_gpvton_weights_loaded_by_helper": ("BN101", "tryon.py", 10),
    "1903_gpvton_wrapper_of_loaded_model": ("BN101", "tryon.py", 10),
    "1907_torchbench_plain_class_train_method": ("BN101", "bench.py", 20),
    "1907_torchbench_getter_of_self_model": ("BN101", "bench.py", 15),
    "1907_torchbench_local_alias_of_self_model": ("BN101", "bench.py", 15),
    # transfer batch 6
    "1702_biggan_closure_made_by_factory": ("BN103", "train.py", 25),
    "1702_biggan_part_of_a_trained_wrapper": ("BN103", "train.py", 36),
    "1702_biggan_functional_batch_norm_layer": ("BN103", "train.py", 38),
    "1702_biggan_dynamic_import_of_option_default": ("BN103", "train.py", 20),
    "1800_caladrius_loader_of_a_method_on_a_given_instance": ("BN302", "pkg/trainer.py", 27),
    "1905_imgclsmob_variable_wrapped_synthetic_input": ("BN101", "train.py", 25),
    "1905_imgclsmob_weights_loaded_by_builder": ("BN101", "train.py", 25),
    "1905_imgclsmob_training_on_another_branch_after_the_probe": ("BN101", "train.py", 25),
    "1905_imgclsmob_evaluation_then_train_on_a_path": ("BN101", "train.py", 25),
    "1905_imgclsmob_own_function_named_trainer": ("BN101", "train.py", 25),
    "1701_hrnet_summary_by_forward_hooks": ("BN101", "summary.py", 26),
    "1700_trades_attack_forwards_in_train_mode": ("BN101", "trades.py", 20),
    "1901_convnets_holder_eval_method_of_one_part": ("BN101", "training.py", 45),
}

# reduction -> the capability its bug/ needs (MISSES.md's group); bug/ is silent for its code until it lands
GAPS = {
    # model identity lost through a wrapper, factory, registry or an attribute of another object
    # a helper, caller or base class elsewhere not followed
    # rule gap: a train-mode forward counts only when its output is used as a prediction
    "307_nni_pruner_speedup_dummy_forward_train_mode": "a timing loop of train-mode forwards on a loaded model",
    # a value through a record field, a **kwargs dict or a try/except alias
    # rule gap: BN201 widths that are not two known numbers
    # framework trainer runs the step or changes the mode
    "301_lightly_linear_clf_freeze_requires_grad": "Lightning trains after on_fit_start froze the parameters",
    "310_lightly_linear_clf_eval_reset_by_lightning": "Lightning's implicit .train() undoes on_train_start's eval()",
    "609_chemprop_last_batch_of_one": "Lightning Trainer.fit is the loop a DataLoader feeds",
    # a value from a config file or the run (out of reach by contract; the reduction: a class from a dict by key)
    "108_d2_syncbn_single_process": "a norm class looked up in a dict of classes by a key",
    # rule gap: BN302 when the dataset length is unknown
    # rule gap: BN104 export APIs
    # library and project knowledge
    "309_nemo_spkr_decoder_bn2d_on_3d": "an input's rank from NeMo neural types ('B', 'D', 'T')",
    # a call through a callback value or a model method not entered
    "304_deepchem_validation_callback_eval_never_reset": "callbacks called in the training loop (c(self, step))",
    # rule gap: BN302 when the dataset length is unknown
    "100_pointnet2_cls_drop_last": "BN302's unknown-length warning for a batch size outside 8..16",
    "502_pykeen_drop_last_bn": "BN302's unknown-length warning for a dataset given as a parameter",
    "1550_autoencodix_loader_of_a_user_dataset": "BN302 for a library trainer's loader of a user's dataset (no length)",
    # a construction in another file: a class's widths under the arguments a script of another folder builds it with
    "1657_tdnn_class_built_in_another_file": "a project class's widths under another file's construction arguments",
    # framework trainer runs the step or changes the mode
    "1650_scvi_frozen_then_base_class_train": "a base class's train() runs Lightning's fit, whose .train() undoes eval",
    # coordinate descent: the part frozen and put in eval on one branch is trained, still in eval, on the other
    "1601_se3pose_eval_in_one_branch_trained_in_other": "an eval before the step on one branch, carried by the loop "
                                                        "to the other branch, which unfreezes and trains that part",
    # Python 2 source (`print x`, `except E, e`): BN900, the file is not analysed
    "1601_se3pose_python2_print_statement": "Python 2 statements (print) read as their Python 3 equivalents",
    # a loader a method returns with its dataset (`return dataset, loader`), chosen for training by a literal
    # argument (`load('train')`), on an instance given as a parameter and built by a script in another folder
    # (transfer batch 6's 1800 also has a batch size of 32: 100_pointnet2_cls_drop_last's gap)
    "1800_caladrius_loader_of_a_method_on_a_given_instance": "a loader returned with its dataset by a method of an "
                                                             "instance given as a parameter",
    # rule gap: an adversarial attack's forwards inside a training step (gradients taken for the input only)
    "1700_trades_attack_forwards_in_train_mode": "forwards whose output feeds only torch.autograd.grad(loss, [x_adv]) "
                                                 "inside a training step: attack generation in train mode",
}


def _findings(tmp_path: Path, folder: Path) -> list[tuple[str, str, int]]:
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "bn_lint", "check", "--no-cache", "--format", "json", "--exit-zero", "."],
        capture_output=True, text=True, cwd=copy, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return [(f["code"], f["path"], f["line"]) for f in json.loads(proc.stdout)]


def test_every_reduction_has_its_expectation():
    assert {p.name for p in DATA.iterdir() if p.is_dir()} == set(EXPECTED)
    assert set(GAPS) <= set(EXPECTED)
    for name in EXPECTED:
        assert (DATA / name / "bug").is_dir() and (DATA / name / "fired").is_dir(), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fired_reports_at_its_line(tmp_path, name):
    assert EXPECTED[name] in _findings(tmp_path, DATA / name / "fired")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bug_is_a_known_gap(tmp_path, name):
    code = EXPECTED[name][0]
    reported = [f for f in _findings(tmp_path, DATA / name / "bug") if f[0] == code]
    if name in GAPS:
        assert not reported, f"found now: take it off GAPS ({name}: {GAPS[name]}): {reported}"
    else:
        assert reported, f"{name} is off GAPS (found) but its bug/ no longer reports {code}"
