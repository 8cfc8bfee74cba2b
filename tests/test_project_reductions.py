"""Misses and false alarms of transfer batches 19 to 21 (sessions 65 to 67) that need more than one file, each reduced after
the batch's blind score to one cause. ``tests/data/project_reductions/<case>/`` holds two small projects one
change apart: ``reported/`` gets the findings in ``EXPECTED`` and ``silent/`` gets none. The engine before the
change got them the other way round (silent on the bug, or a false alarm on the clean project)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

DATA = Path(__file__).parent / "data" / "project_reductions"
CORRECTNESS = "BN1,BN3,BN201,BN202,BN203,BN205,BN206"

EXPECTED = {
    # Transfer batch 29's 14381 and 14382 (session 74, false BN101s judged on their whole repositories): the check
    # forward `if model_check: torch_net(x)` of an ONNX converter whose every call in the file leaves `model_check`
    # at its default `False`, and that no other file calls: no visible path runs it (call_branches' dead suites, now
    # asked for the evaluations of a module-level function). Twin: a call passes `model_check=True`
    "evaluation_under_a_flag_every_call_leaves_false": {"model_conversion.py:15:BN101"},
    # Transfer batch 29's 14261 (session 74, after its blind score): `model.extract_feature(data)` on a model
    # `utils.load_model()` builds, its class two imports away (`utils/__init__.py` -> `models/__init__.py` ->
    # `models/model.py`). The method runs `self.resnet_layer(x)`; that name was looked up one import deep only, so
    # it was taken for a method out of sight that may set modes, and the model's mode became unknown. Names a class
    # assigns are now read through the same imports, as deep, as the method texts themselves (one reader for both).
    # Twin: `model.eval()` before the features are computed
    "submodules_of_a_class_two_imports_away_run_by_its_method": {"test.py:17:BN101"},
    # Transfer batch 29's 14340 and 14341 (session 74, after its blind score), two causes: `SpeakerNetModel =
    # importlib.import_module("models." + model).__getattribute__("MainModel")`: a class taken from a module of a
    # project package picked by name (the plugin idiom) is the class of that name in each module of the package, each
    # a visible path (a ResNet with BatchNorm2d here; before, of no known kind, so SpeakerNet was taken to hold no
    # BatchNorm); and `ModelTrainer(s, **vars(args))`: the arguments before a `**` bundle bind as written, so building
    # the plain trainer class that stores `s` leaves its mode as it is (before, `s` became of unknown mode). The
    # embeddings are then extracted in training mode. Twin: `s.eval()` before the extraction loop
    "model_class_from_a_package_module_picked_by_name": {"gen_embs.py:25:BN101"},
    # Transfer batch 29's 14501 (session 74, five false BN103 on the fixed snapshot): `curr_mode = "train" if
    # model.training else "eval"` ... `if curr_mode == "train": model.train()`: the save-and-restore idiom with the
    # mode saved as a word (a base class's accuracy helper of another file, called in the training loop). Twin: the
    # helper restores only the eval word, so the loop's next epoch trains in eval mode
    "mode_saved_as_a_word_and_restored_by_a_base_class_helper": {"models/icarl.py:21:BN103"},
    # Main corpus, classy_vision's model tutorial (session 74, a false BN101 judged on the whole repository):
    # `my_model = build_model(config)` picks a class from a registry filled at run time (of unknown class, and the
    # project builds ResNets), but `assert isinstance(my_model, MyModel)` after its last binding says which: a class
    # of pooling and a Linear layer, no BatchNorm. Twin: MyModel normalises with a BatchNorm1d
    "model_of_a_registry_asserted_to_be_a_class_without_batchnorm": {"tutorial.py:22:BN101"},
    # Main corpus, LightGCN of PyTorch Geometric (session 74, a false BN101 judged on the whole repository):
    # `predict_link(self, ...)` runs `self`, an instance of a module class whose layers (an Embedding and a conv class
    # of another project file) hold no BatchNorm, nor do any of its subclasses: `self` holds none (before, `self` of
    # unknown content was taken to be possibly BatchNorm-bearing). Twin: the conv class of the other file normalises
    # with a BatchNorm1d
    "self_of_a_module_class_whose_parts_elsewhere_hold_no_batchnorm": {"gnn/model.py:20:BN101"},
    # Main corpus, dataflowr's course notebooks (session 74, false BN101s judged on the whole repository): a model
    # of unknown class in a notebook may hold BatchNorm only when the notebook (or a file it imports) builds some;
    # a notebook is a program of its own that no file imports, so the other files of the repository (a ResNet block
    # here) say nothing about its models. Its cell markers (`# %% [bn-lint cell 3]`) had also been read as a `bn`
    # name, so every notebook counted as building BatchNorm. Twin: a cell of the notebook builds a BatchNorm1d
    "notebook_model_of_unknown_class_beside_files_that_build_batchnorm": {"recurrent.ipynb:cell 4:3:BN101"},
    # 14002 (batch 28, session 73, after its blind score): `trades_loss()` puts the model in eval for the attack, runs
    # the loss forwards, then calls `model.train()`: the training forward runs in eval mode, the `.train()` comes too
    # late (BN103 at the `.eval()`). Two capabilities: the function's result is backpropagated by the training script
    # of another file that calls it (`loss = trades_loss(...); loss.backward()`), so its forwards are training ones;
    # and an optimizer built over a list of plain tensors (`optim.SGD([delta])`) moves an input, its step trains no
    # model (before, the attack's loop was read as training: a false BN103 on the twin). Twin: `model.train()` before
    # the loss forwards
    "eval_for_an_attack_reset_after_the_training_forwards": {"trades.py:6:BN103"},
    # 14040 (batch 28, session 73, after its blind score): a LightningModule's `training_step` whose class derives from
    # a project class of another file that is the `LightningModule` (`class TreeModel(baseline.TreeModel)`): the
    # framework's hooks are found through project bases of any file. Its `self.model.eval()` before the pseudo-label
    # forwards is never undone, and Lightning runs the step once per batch: BN103. Twin: `self.model.train()` before
    # returning
    "lightning_hook_of_a_module_whose_base_is_in_another_file": {"models/semi.py:12:BN103"},
    # 14102 (batch 28, session 73, after its blind score): `net = config['inference']['net']` in `do_test(inputs,
    # config)`: a model held in an entry of a settings dict its caller passes is a part of the parameter, like
    # `config.net` (access paths take their root through subscripts too); its caller, which fills the dict through
    # `importlib`, follows no model it could report, so the evaluation function owns the mode unless a caller puts
    # one in eval. Twin: the caller calls `config["inference"]["net"].eval()`
    "model_in_an_entry_of_a_settings_dict_its_caller_passes": {"task/pose.py:20:BN101"},
    # 14080 (batch 28, session 73, after its blind score): `def evaluate(self, metric: Metric)` then
    # `metric.register(self)`: a method called on a parameter annotated with a project class runs that class's method
    # (own or inherited; an abstract one the override), whose summary says what it does to what it is given (here: it
    # stores `self`, no mode changes), so the loaded model stays in training mode in the no_grad loop. Before, `self`
    # handed to a call of unknown target made every part of it unknown. Twin: `self.model.eval()` after loading
    "method_of_a_parameter_annotated_with_a_project_class": {"evaluator.py:16:BN101"},
    # 13940 (batch 28, session 73, after its blind score): `get_loaders()` builds and returns a shuffled
    # `train_loader` of batch 8 without `drop_last`; the script that calls it trains a model whose head has a
    # BatchNorm1d on (N, C): the files that call the function returning a loader are its users, where the model it
    # trains is built. Twin: `drop_last=True`
    "training_loader_returned_to_a_script_that_trains_a_batchnorm1d_head": {"data.py:6:BN302"},
    # 14100 (batch 28, session 72, after its blind score): `bilinear, _, epoch = Model.bilinear.load_model(...)` after
    # `import Model.bilinear`: a project function called through a dotted module path is followed like one imported
    # by name (element 0 of the tuple it returns: the model it builds and loads, in training mode). Twin: `.eval()`
    "builder_called_through_a_dotted_module_path": {"valid.py:9:BN101"},
    # 13742 (batch 27, session 72, after its blind score), first cause: `TranslatorBase.translate()` (another file)
    # runs the subclass's `_translate()` hook and sets no mode itself: the hook runs in the mode its caller leaves,
    # here the training mode `_train()` left. The silent twin's base puts `self.model` in eval first
    "hook_of_a_base_template_method_that_sets_no_mode": {"pkg/cnn.py:16:BN101"},
    # 13620 (batch 27, session 72, after its blind score): `SegEvaluator.model_inference()` runs `self.predictor`,
    # which its base class's `__init__` stores (`super().__init__(predictor, ...)`): a model a plain class is given
    # is its evaluation method's to put in eval. The silent twin's caller builds it with a helper of an imported
    # module that loads the checkpoint and calls `model.eval()` (the fix): a caller that puts it in eval through a
    # project function it imports
    "model_stored_by_a_base_class_init": {"evaluator.py:19:BN101"},
    # 13864-13866 (batch 27, session 72, after its blind score; pix2pix forks): `model = create_model(opt)`, whose
    # class `find_model_using_name(opt.model)` picks at run time among the subclasses of `BaseModel` that
    # `issubclass` checks: each subclass the package defines is a visible path, and the instance carries what its
    # `__init__` leaves (`model.netG`). `model.test()` runs `self.netG` under no_grad: a method of the object that
    # holds the model, so the caller's evaluation loop is where the mode is missed. The silent twin's `model.eval()` /
    # `model.train()` set every part `getattr(self, 'net' + name)` names, under an `isinstance(name, str)` guard
    "instance_of_a_subclass_picked_at_run_time": {"train.py:13:BN101"},
    # 13863-13865: `norm_layer = get_norm_layer(norm_type=norm)`, a project function whose branches return
    # `partial(nn.BatchNorm2d, ...)` or `partial(nn.InstanceNorm2d, ...)`, the norm type open at the call: the
    # generator may hold BatchNorm. The silent twin's factory has no BatchNorm branch
    "norm_layer_from_a_factory_function": {"train.py:17:BN101"},
    # 13866: `model.eval()` in the validation loop inside the training loop, never undone; the helper run after it
    # calls `model.get_current_visuals()`, whose docstring says "train.py will display": a method's comments and
    # strings switch no mode. The silent twin calls `model.train()` after the validation loop
    "method_docstring_switches_no_mode": {"train.py:21:BN103"},
    # 13300 (batch 26, session 71, after its blind score): `evaluation.evaluate()` runs a method inherited from a base
    # class of another file, which calls `self._calculate_distances()`, left abstract there and overridden by the
    # caller's class; the override reads the model's outputs out as numbers. A part of a parameter (`self._model`)
    # that a helper of another file evaluates as it is given is evaluated by the caller too, so the model built and
    # loaded in `main()` is found in training mode. A class's calls on `self` in a method it inherits run what the
    # class defines (`a_constant_evaluation.py`'s override, first in the package, is not the one run). The silent
    # twin puts the model in eval after loading
    "template_method_of_another_files_base_runs_the_subclass_override": {"test_models.py:23:BN101"},
    # 13580 (batch 26, session 71, after its blind score): `training_loop(..., train_fn=train_step)`, where
    # `train_step` is imported from another file, takes its step through the callable parameter (`train_fn(model,
    # ...)`): a call of a parameter runs the function every caller passes, so the per-batch `compute_ll()` that puts
    # the model in eval is inside a training loop. The silent twin calls `model.train()` after it
    "training_step_given_as_an_imported_function": {"train.py:23:BN103"},
    # 13501 (batch 26, session 71, after its blind score): `generator = apex.parallel.DistributedDataParallel(generator)`
    # then `apex.parallel.convert_syncbn_model(generator)` on an optional branch: apex's wrappers are the module they are
    # given, in its mode (one table of wrappers, `knowledge/wrappers`, for every analysis), so the test run without
    # `.eval()` is found on both paths. The silent twin puts the generator in eval before testing
    "model_rewrapped_by_apex_keeps_its_mode": {"eval.py:8:BN101"},
    # 13140's post-fix alarm (batch 25, session 70): `Trainer(linear_classifier=torch.nn.Linear(...))` in the scripts
    # beside the trainer's file, by keyword and by a name passed positionally: what `self.linear_classifier` holds is
    # read from the constructions in other files too, so a head every one of them gives as a plain `Linear` holds no
    # BatchNorm. The reported twin passes a `Sequential` with a BatchNorm1d in one script
    "probe_head_given_by_another_files_constructions": {"trainer.py:9:BN101"},
    # 13060's second cause (batch 25, session 69): `import trainer; t = trainer.Trainer()`: a module of the project
    # named `trainer`, and a class of it reached through that module, are the project's code, not a framework's
    # trainer that sets modes. The silent twin puts `t.model` in eval first
    "trainer_class_of_a_project_module_named_trainer": {"trainer.py:23:BN101"},
    # 13060 (batch 25, session 69, after its blind score): `t = Trainer(); t.test(loader)` with the trainer class in
    # another file: what its `__init__` leaves on `self` (a freshly built BatchNorm model) is the instance's state
    # there, as for a class of the same file, so `test()` runs `self.model` in training mode. The silent twin puts
    # `t.model` in eval first
    "fresh_instance_of_another_files_trainer_tests_its_model": {"trainer.py:23:BN101"},
    # 13263 (batch 25, session 69, after its blind score): the frozen tower's BatchNorm is put in eval by a loop over
    # `visual_modules`, a name bound to `model.module.visual.modules() if isinstance(model, DDP) else
    # model.visual.modules()`: the loop walks `model.visual`'s modules (one helper for the mode flow and the freeze
    # summaries), so the `model.train()` after the in-loop validation undoes the freeze. The silent twin freezes
    # again after each `model.train()`
    "batchnorm_eval_loop_over_modules_named_by_a_ddp_choice": {"train.py:25:BN105"},
    # 13261 (batch 25, session 69, after its blind score): a helper of another file given the model calls
    # `model.load(path)`; neither the helper's file nor its imports define `load` (only the caller imports the model's
    # class): the repository's definitions of the name are read, and `Tacotron.load` keeps the modes, so the model
    # stays in training mode for the feature extraction under no_grad. The silent twin's `load` ends in `self.eval()`
    "model_method_defined_only_in_the_callers_imports": {"train_tacotron_new.py:9:BN101"},
    # 12901-12904 (batch 24, session 68, after its blind score): `ae = eval('models.{}()'.format(name))` builds the
    # model `getattr(models, name)()` would (a BatchNorm3d autoencoder of models.py), then runs it under no_grad in
    # training mode; the silent twin puts it in eval
    "model_built_by_eval_of_a_formatted_string": {"main.py:13:BN101"},
    # 12920 (batch 24, session 68, after its blind score): `model.forward_branch(x)` of a model a factory builds, the
    # method defined three imports away (validate.py -> network/__init__.py -> coil_model.py -> coil_icra.py): the
    # definitions of a method name are read through the imports' own imports, so the call is a run of the model
    "model_method_defined_three_imports_away": {"validate.py:15:BN101"},
    # 13040 (batch 24, session 68, after its blind score): `from models.st_gcn_twostream import Model as
    # FourStreamSTGCN` names the class `Model` of the other file; the files the code reaches are looked up by the name
    # imported, not the alias, so the model's BatchNorm1d on (N, C) is known. The silent twin drops the last batch
    "model_class_imported_under_another_name": {"training/train.py:11:BN302"},
    # 12341 (batch 22, session 68): a helper of another file runs each model of the tuple it is given (`for model in
    # model_list: model(image)` under no_grad); the caller builds both torchvision models and never puts them in eval.
    # The silent twin puts each in eval first
    "ensemble_in_a_tuple_run_by_a_helper_of_another_file": {"infer_utils.py:7:BN101"},
    # 12000 (batch 21, session 67): `import vicorobot.utility` from api/vision.py names the package of a local
    # distribution (vicorobot/setup.py + vicorobot/vicorobot/), on no path bn-lint tried: the module is found where
    # the repository holds it, so the loaded model's class is known (BatchNorm1d) and its run under
    # `inference_mode` without eval is a finding; the silent twin puts it in eval after loading
    "module_of_a_local_distribution": {"api/vision.py:17:BN101"},
    # batch 23's 12701 post-fix alarm (after its blind score): `self._model1.batchnorm_state(activate=False)`, a
    # method of the model's base class in another file, runs `self.apply(self.deactivate_batchnorm)`, a static
    # method that puts each BatchNorm layer in eval, on the branch the literal argument takes; the reported twin
    # acts without it
    "batchnorm_put_in_eval_by_a_method_applied_to_the_model": {"agent.py:13:BN101"},
    # 12240: `self.mcts = PVMCTS(game, model)` in `__init__` beside `self.model: nn.Module = model` (annotated):
    # `self.mcts.model` is the class's own model, which `PVMCTS.search` (another file) runs under `no_grad`; the
    # training loop's `.train()` leaves it in training mode for the next self-play; the twin puts it in eval first
    "search_object_built_in_init_runs_the_class_model": {"pvmcts.py:11:BN101"},
    # 12243: `mcts = MCTS(self, board)` holds the agent itself; `mcts.search()` (another file) calls
    # `model.predict(...)` on it, down through `self.root.expand(self.model)`: the agent's own `predict`, run after
    # `self.brain.train()`. The training step's own `self.predict(x)`, whose loss is backpropagated, is no
    # evaluation: the silent twin (self-play in eval, then `.train()` before training) was a false alarm before
    "search_object_built_from_self_runs_its_predict": {"agent.py:13:BN101"},
    # 11803 (batch 20, session 66): `hydra.utils.get_class(f"adapt.base.Runner")()` builds the project class the
    # constant dotted path names, whose `step()` runs the backend under `no_grad` in training mode; the silent
    # twin puts the backend in eval before validating (and back in train before training)
    "class_named_by_a_dotted_path": {"train.py:22:BN101"},
    # 11760: `prepare(net, path)` of checkpoints.py hands the model to `load_existing_model()`, which calls
    # `model.load_state_dict(...)`: a project helper that loads trained weights, whatever its name (its summary);
    # the script then runs the model on data: an inference run. The silent twin puts it in eval after loading
    "weights_loaded_by_a_helper_of_another_file": {"predict.py:19:BN101"},
    # 11802: `class Detector(nn.Module, LayerBuilder)` builds its layers with `self.build_layers(...)` of a plain mixin
    # of another file, whose blocks hold BatchNorm2d; the silent twin validates in eval mode
    "layers_built_by_a_plain_mixin_of_another_file": {"train.py:10:BN101"},
    # 11301: `train()` passes the model it steps to `evaluate()` of evaluate.py, which hands it to `forward()` of
    # forward.py, run under `@torch.no_grad()`: an evaluation any number of files down, through the summaries
    # (reported where the model runs); the silent twin puts it in eval before the call
    "evaluation_two_files_down": {"forward.py:8:BN101"},
    # 11463: `ProtoNet(MetaTemplate)` with `MetaTemplate(nn.Module)` in another file is a module; a builder's
    # branch builds the BatchNorm `RelationNet`; the silent twin puts the model in eval before returning it
    "module_base_class_of_another_file": {"step.py:20:BN101"},
    # 11541: `ar.video.LRCN` where `ar/__init__.py` binds `video` to `.models.video`; twin: eval after building
    "package_binds_a_submodule": {"evaluate.py:10:BN101"},
    # 11502's false alarm: a class imported and never used holds the BatchNorm1d a last batch of one would crash;
    # the reported twin trains that class
    "imported_class_never_used": {"train.py:21:BN302"},
    # 11540's second false alarm: the base class of another file puts `self.model` in eval and then runs the
    # subclass's `evaluate()` hook; the reported twin's base does not
    "template_method_of_a_base": {"my_trainer.py:17:BN101"},
}


def _findings(folder: Path, tmp_path: Path) -> set[str]:
    work = tmp_path / folder.name
    shutil.copytree(folder, work)
    proc = run_cli("check", "--no-cache", "--select", CORRECTNESS, "--format", "concise", ".", cwd=work)
    assert proc.returncode in (0, 1) and b"BN9" not in proc.stdout, proc.stdout + proc.stderr
    found = set()
    for line in proc.stdout.decode().splitlines():
        parts = line.split(":")
        if len(parts) > 4 and parts[1].startswith("cell ") and parts[4].strip().startswith("BN"):
            found.add(f"{parts[0]}:{parts[1]}:{parts[2]}:{parts[4].split()[0]}")  # (a notebook's: cell and line)
        elif len(parts) > 3 and parts[3].strip().startswith("BN"):
            found.add(f"{parts[0]}:{parts[1]}:{parts[3].split()[0]}")
    return found


def test_every_case_is_listed():
    assert {p.name for p in DATA.iterdir() if p.is_dir()} == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_reported_twin(case, tmp_path):
    assert _findings(DATA / case / "reported", tmp_path) == EXPECTED[case]


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_silent_twin(case, tmp_path):
    assert _findings(DATA / case / "silent", tmp_path) == set()
