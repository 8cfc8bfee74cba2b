"""Reductions of false findings and lost files seen on real code (the precision issue), each beside its twin
that must still be found. Each file in ``tests/data/reductions/`` says by its name what it holds; ``EXPECTED`` gives
the (code, line) findings it must get, none for the reduced false alarms."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_code, codes_and_lines

DATA = Path(__file__).parent / "data" / "reductions"
CORRECTNESS = ("BN1", "BN3", "BN201", "BN202", "BN203", "BN205", "BN206")

EXPECTED = {
    # Main corpus, dataflowr's BatchNorm notebook (session 74, a false BN101 judged on the whole repository): a
    # BatchNorm layer built with `momentum=None` keeps a cumulative average of every batch it sees in training mode;
    # running it so under `no_grad` accumulates its statistics on purpose (a demonstration, a re-estimation), and so
    # does a model whose BatchNorm momenta are set to `None` first (`update_bn`'s recipe). Neither reduction alone
    # reproduces the notebook's false alarm (the notebook's cells did); the twins, with the default momentum, hold
    "batchnorm_layer_with_a_cumulative_average_run_to_accumulate_statistics.py": [],
    "batchnorm_layer_with_the_default_momentum_run_in_training_mode.py": [("BN101", 7)],
    "batchnorm_momentum_set_to_none_then_statistics_reestimated.py": [],
    "batchnorm_momentum_kept_then_model_run_in_training_mode.py": [("BN101", 12)],
    # Transfer batch 29's 14323 (session 74, two false BN101s judged on the whole repository): `validate(self, device,
    # model, teacher)` calls `self.model.eval()` and `self.teacher.eval()` first, and the class's training loop calls it
    # as `self.validate(device, self.model, self.teacher)`: the parameters are those parts, in eval (a part of `self`
    # a method of the class passes, put in eval by a mode call that dominates the run). This reduction is silent on the
    # engine before too (the repository's path ran through more of its loop); the twin, without the `.eval()`, holds
    "validation_method_puts_the_part_it_is_given_in_eval_through_self.py": [],
    "validation_method_given_the_part_in_training_mode.py": [("BN101", 18)],
    # Main corpus, luxonis-train (session 74, a finding lost while `self` of a module class without BatchNorm was
    # taken to hold none): `self.nodes = self._initiate_nodes(cfgs)` builds the nodes from a registry in a method of
    # its own, so what an instance holds is open (MAYBE), not "no BatchNorm": its `export_onnx` after a dummy forward
    # in training mode is still BN104. Twin: `self.eval()` first
    "self_of_a_module_class_whose_parts_a_method_builds_from_a_registry.py": [("BN104", 41)],
    "self_of_a_module_class_whose_parts_a_method_builds_put_in_eval_for_export.py": [],
    # Main corpus, RandAugment (session 74, false BN101 and BN103 judged on the whole repository): `run_epoch(model,
    # loader, loss_fn, optimizer)` trains only `if optimizer:`; the epoch loop calls it with the optimizer after
    # `model.train()`, then `model.eval()` and twice with `None`. Those two calls run the model without training it
    # (a shared step called so that it does not train is no training use: before, they were read as the next
    # training step after the `.eval()`, BN103), and the path where `if optimizer:` is false is one of a model put in
    # eval by the mode call that dominates its caller (before, that path was joined with the training call's
    # `.train()`, BN101). Twin: no `.eval()` before the calls without an optimizer
    "shared_epoch_runner_called_without_optimizer_after_eval.py": [],
    "shared_epoch_runner_called_without_optimizer_in_training_mode.py": [("BN101", 10)],
    # Main corpus, NNI's SPOS tester (session 74, a false BN101 judged on the whole repository): the BatchNorm
    # running statistics are cleared (`m.running_mean = torch.zeros_like(...)`) and then re-estimated by forwards in
    # training mode under `no_grad`: a recalibration ("BN sanitize"), not an evaluation. Twin: the statistics are not
    # cleared, the loop only reads losses in training mode
    "batchnorm_statistics_cleared_then_reestimated_in_training_mode.py": [],
    "batchnorm_statistics_kept_then_model_run_in_training_mode.py": [("BN101", 12)],
    # Main corpus, dataflowr's BatchNorm notebook (session 74, a false BN101 judged on the whole repository): the
    # BatchNorm layers kept in `self.bns` are each registered with `setattr(self, 'bn%i' % i, bn)` as well, so
    # `.eval()` reaches them. Twin: kept in the list only
    "batchnorm_layers_in_a_list_also_registered_with_setattr.py": [],
    "batchnorm_layers_in_a_list_only.py": [("BN101", 15)],
    # Transfer batch 27's 13820 (session 73): `self.models["encoder"].eval()` in a helper method that the training
    # step's method calls (`process_batch()` -> `generate_target_loss()`), never undone: reported at the `.eval()`
    # itself, where the mode is left and the fix goes (the label's line; a helper named for evaluation, run after the
    # epoch's steps, is reported where the loop calls it). Twin: `.train()` right after the target's run (an eval for
    # the run that follows it, then undone: a choice, not BN103's too-late `.train()`)
    "eval_inside_a_training_step_helper_reported_at_the_eval.py": [("BN103", 30)],
    "eval_inside_a_training_step_helper_undone_after_its_run.py": [],
    # Transfer batch 28's 14040 (session 73, after its blind score): `self.model.eval()` in a LightningModule's
    # `training_step` before the pseudo-label forwards, never undone: Lightning runs `training_step` once per batch
    # and sets training mode only when an epoch starts, so the next batch's training forward runs in eval mode (a hook
    # run once per batch is a loop body: what one run leaves, the next finds). Twin: `self.model.train()` before
    # returning
    "lightning_training_step_leaves_its_model_in_eval.py": [("BN103", 16)],
    "lightning_training_step_puts_its_model_back_in_training.py": [],
    # Transfer batch 28's 13960 (session 73, after its blind score), two causes: `self.base =
    # models.__dict__[model](pretrained=True)` in a base class whose subclass calls `Feature.__init__(self,
    # model='resnet50')`: a zoo's builder picked from its `__dict__` by a name the class's callers give as a constant
    # (an explicit base `__init__` call binds as `super().__init__` does) is that builder (ResNet-50: BatchNorm); and
    # `self.model.module[:-1](x)`: a slice of a Sequential runs some of its layers, in its mode. Twins: `.eval()`
    # after loading
    "zoo_model_named_by_a_subclass_through_an_explicit_base_init.py": [("BN101", 32)],
    "zoo_model_named_by_a_subclass_loaded_and_put_in_eval.py": [],
    "slice_of_a_loaded_sequential_run_for_features.py": [("BN101", 22)],
    "slice_of_a_loaded_sequential_put_in_eval_first.py": [],
    # Transfer batch 28's 14163 (session 73, after its blind score): the validation inside the training loop of an
    # `if not trained:` arm and the test after the `if`/`else` are two defects, each with its own `.eval()`: a path
    # (the `else` that loads weights) reaches the test without passing the validation, and the validation's fix is
    # undone by the `.train()` the next epoch needs. Before, the test run was folded into the validation's finding.
    # Twin: each evaluation in eval mode
    "test_loop_after_a_branch_that_trains_and_validates.py": [("BN101", 27), ("BN101", 35)],
    "test_loop_after_a_branch_that_trains_and_validates_each_in_eval.py": [],
    # Transfer batch 28's 13940 (session 73, after its blind score): PyTorch Geometric's `DataLoader` (a subclass of
    # torch's with the same leading parameters and `drop_last`) is a loader: 1001 graphs in batches of 100 leave
    # one graph for the BatchNorm1d head. Twin: `drop_last=True`
    "graph_loader_of_pytorch_geometric_last_batch_of_one.py": [("BN302", 20)],
    "graph_loader_of_pytorch_geometric_dropping_its_last_batch.py": [],
    # Transfer batch 28's 14161 (session 72, after its blind score): `if LOAD_MODEL:` with `LOAD_MODEL = True` bound
    # once at module level: the setting the script fixes rules the training branch (which ends in `.eval()`) out,
    # so the loaded model is evaluated in training mode. Twin: `LOAD_MODEL = False`, the training branch's eval
    "constant_flag_loads_weights_and_skips_the_training_branch.py": [("BN101", 23)],
    "constant_flag_trains_and_leaves_the_model_in_eval.py": [],
    # Transfer batch 28's 14141 (session 72, an internal error in its blind score): a typer command's parameter
    # default read as a batch size crashed BN301/BN302 (`dict_values | set`); the default of 1 reaches a BatchNorm1d
    # model's training loader through `make_loader(..., batch_size=bs)`
    "typer_command_batch_size_default_of_one.py": [("BN301", 10)],
    # Transfer batch 27's 13900 (session 72): `Evaluator.synthesize(x)` returns one run of the encoder its
    # constructor stores: a public method of an evaluator class that hands out a run's outputs evaluates, loop or not.
    # Twin: `self.encoder.eval()` first
    "evaluator_method_handing_out_one_run_of_its_model.py": [("BN101", 23)],
    "evaluator_method_handing_out_one_run_after_eval.py": [],
    # Transfer batch 27's 13680, first cause (session 72): the training loop iterates a project generator whose body
    # synthesizes each batch with the student after `student.eval()`: a generator's body runs before each item, so
    # the eval it leaves reaches every training step (BN103, at the loop's iterable). Twin: the generator's helper
    # puts the saved mode back (the fix)
    "training_loop_over_a_generator_that_puts_the_model_in_eval.py": [("BN103", 30)],
    "training_loop_over_a_generator_that_restores_the_mode.py": [],
    # Transfer batch 27's 13862 (session 72, after its blind score): `output = apply_generator(image, generator)`, a
    # function out of sight given the model and the loop's item, its result read out as data: an inference helper
    # runs the model, so `compute_evaluation()` evaluates `generator` and owns its mode. Twins: `.eval()` first; and a
    # function given only the model (no item to run it on) runs nothing
    "inference_helper_out_of_sight_given_model_and_item.py": [("BN101", 21)],
    "inference_helper_out_of_sight_after_eval.py": [],
    "out_of_sight_call_given_only_the_model.py": [],
    # Transfer batch 27's 13860/13861 (Wav2Lip forks), first cause (session 72): the frozen expert `syncnet` runs in
    # a loss helper whose result reaches `backward()` through a derived name (`loss = w * sync_loss + l1`), bound in
    # one arm of an if/else whose other arm binds a constant: the helper is part of the training step, and the
    # expert's BatchNorm keeps updating (BN105). Twin: `syncnet.eval()` after the freeze
    "frozen_expert_run_by_a_loss_helper_whose_loss_is_derived.py": [("BN105", 18)],
    "frozen_expert_run_by_a_loss_helper_put_in_eval.py": [],
    # Transfer batch 27's 13741, reduced after its blind score (session 71): a pytest test trains its model through a
    # helper (`train(x, model)`, which calls `.train()` and steps) and then denoises with it: a run after a call that
    # trained the model, its output going to no backward pass, puts the trained model to use. Twin: `.eval()` first
    "test_runs_a_model_a_helper_trained.py": [("BN101", 30)],
    "test_runs_a_model_a_helper_trained_put_in_eval.py": [],
    # Transfer batch 27's 13662, first cause (session 71): `self.encoder = deepcopy(encoder)` in a plain class's
    # `__init__`, then `knn_accuracy()` runs it on a loader: a copy of a given module is given in the mode the caller
    # gives it, so the method that evaluates it owns its mode. Twin: `.eval()` after the copy (the fix)
    "copy_of_a_given_encoder_evaluated_by_a_plain_class.py": [("BN101", 23)],
    "copy_of_a_given_encoder_put_in_eval_after_copying.py": [],
    # Transfer batch 27's 13681, reduced after its blind score (session 71): `nn.BatchNorm2d(C, AFFINE)` with `AFFINE`
    # a module flag a `global` statement may reset, and `nn.BatchNorm2d(C, True)`: the `affine` flag given where eps
    # goes (eps 1.0; a bool is an integer, which RULES.md's BN206 flags). Twin: `affine=AFFINE` by keyword, and a
    # small eps positionally
    "batchnorm_affine_flag_given_where_eps_goes.py": [("BN206", 14), ("BN206", 15)],
    "batchnorm_affine_flag_given_by_keyword.py": [],
    # Transfer batch 26's 13540, reduced after its blind score (session 71): `for model in self.models.values():
    # model.eval()` in `validate()`, a statement of the loop body that never jumps out, puts every entry of the dict in
    # eval, so the training loop's next step runs `self.models['bottom']` in eval (BN103). Twins: the `.values()` train
    # loop at the top of each epoch (the fix); and with only an attribute of an entry followed
    # (`self.models["cut"].in_nodes`, given to a messenger), a mode set through a name for the entry reaches it too
    # (an alias's mode change reaches the parts followed under the other name)
    "validate_evals_every_model_of_a_dict_in_the_training_loop.py": [("BN103", 32)],
    "validate_evals_every_model_of_a_dict_and_train_resets_each_epoch.py": [],
    "dict_entry_attribute_followed_reset_with_its_entry_each_epoch.py": [],
    # 13540's fixed snapshot, after the every-entry change (session 71): with only `self.models["cut"].in_nodes`
    # followed when the epoch's `.values()` train loop runs, that loop must reset every entry the dict holds, also
    # `self.models['bottom']`, followed only later at the step (a loop over followed entries is not all of them)
    "dict_entries_reset_each_epoch_before_a_step_under_a_flag.py": [],
    # Transfer batch 26's 13480, stacked cause (session 71): `for client in clients: client.evaluate(...)` with
    # `clients` a list of `Client(...)` constructions (a comprehension, or `append` calls, also through
    # `enumerate`): the loop variable holds instances of that class, so its method runs the global head it is given
    # under no_grad in training mode. Twin: the global model put in eval first (the fix)
    "clients_in_a_list_evaluate_the_global_head_in_training_mode.py": [("BN101", 38)],
    "clients_appended_to_a_list_evaluate_the_global_head_in_training_mode.py": [("BN101", 38)],
    "clients_in_a_list_evaluate_the_global_model_put_in_eval.py": [],
    # Transfer batch 26's 13300, second cause (session 71): the pair's outputs are concatenated (`torch.cat((d[0],
    # d[0]))`) before `torch.dist(e0, e1).item()`: a tensor built of the output by a call given a tuple of it is
    # followed to its `.item()`, an evaluation's metric. Twin: `.eval()` after loading
    "pair_distance_of_concatenated_outputs_read_as_a_number.py": [("BN101", 22)],
    "pair_distance_of_concatenated_outputs_put_in_eval_first.py": [],
    # Transfer batch 26's 13320, reduced after its blind score (session 71), three causes, each alone enough: on the
    # path where `if split == 'train':` skips the step, an output read out as numbers through a project helper's loss
    # is an evaluation (as predictions are); `stats[split] = ...` binds `stats`, not the `split` its key reads; a loop
    # over `['train', 'val'] if epochs else ['test']` takes the values of both arms. Twin: `model.train() if split ==
    # 'train' else model.eval()` before the inner loop (the fix)
    "split_loop_val_path_reads_a_helpers_loss_as_numbers.py": [("BN101", 25)],
    "split_loop_val_path_keyed_metric_is_no_binding_of_the_split.py": [("BN101", 26)],
    "split_loop_over_a_conditional_list_of_splits.py": [("BN101", 25)],
    "split_loop_switches_modes_per_split.py": [],
    # Transfer batch 26's 13560, reduced after its blind score (session 71): after the training loop, a loop of its own
    # runs `seg_model.forward(x[i:i + 1])` and detaches the output on the next line: an explicit `.forward` call is a
    # run of the module (in the training loop too), and an output bound to a name and detached by the next statement
    # that reads it is taken off the training path. Twin: `seg_model.eval()` before the preview loop (the fix)
    "preview_loop_after_training_runs_forward_and_detaches_later.py": [("BN101", 24)],
    "preview_loop_after_training_put_in_eval_first.py": [],
    # Transfer batch 25's 13141, second cause, reduced after its blind score (session 70): `run_epoch(...,
    # is_training=False)` first in the epoch loop, and the training pass hands the model to an object out of sight
    # (`writer.add_activations(model)`) after its step: on a path its callers decide, the deciding calls' first pass
    # is read as the first iteration is for other runs (the function's own loops stay whole: a phase loop starts
    # with the phase that trains). Twin: `model.train() if is_training else model.eval()` at its top (the fix)
    "run_epoch_on_a_caller_decided_path_first_pass_in_training_mode.py": [("BN101", 17)],
    "run_epoch_on_a_caller_decided_path_put_in_eval_first.py": [],
    # Batch 25's 13100 post-fix alarm once wrapper classes hold their nets' modes (session 70): `net = self.net; if
    # isinstance(net, DataParallel): net = net.module; ...; net.eval()`, the statement form of the DDP unwrap, puts
    # `self.net` in eval (a name rebound to its own `.module` names the same module, in its mode). Twin: the loader
    # never calls `.eval()`, and the wrapper's `test()` runs the net in training mode
    "wrapper_net_unwrapped_by_a_rebinding_put_in_eval_by_its_loader.py": [],
    "wrapper_net_unwrapped_by_a_rebinding_loaded_without_eval.py": [("BN101", 34)],
    # Transfer batch 25's 13081 miss, reduced after its blind score (session 70): `if not hasattr(infer, "model"):
    # infer.model = Crepe()` caches the model on the function object; an attribute of a module-level function that no
    # module-level code sets is unset until the function builds it, as a global bound to None is. Twin: `.eval()`
    # right after the build (the fix)
    "model_cached_on_the_function_object_in_training_mode.py": [("BN101", 17)],
    "model_cached_on_the_function_object_put_in_eval.py": [],
    # Transfer batch 25's 13100, first cause, reduced after its blind score (session 70): a base-less `GraspNetModel`
    # whose `forward(self)` runs what `set_input()` stored (the pix2pix / MeshCNN wrapper idiom) is no module: it
    # has no `.eval()` for its users to call, so the net its `__init__` builds and loads stays in training mode
    # for `generate_grasps()` under no_grad. Twin: the wrapper defines its own `eval()`, and a mixin's
    # `forward(self, x)` in a module class
    "wrapper_class_with_an_inputless_forward_loads_its_net_for_inference.py": [("BN101", 21), ("BN101", 24)],
    "wrapper_class_with_an_inputless_forward_and_its_own_eval.py": [],
    # Transfer batch 25's 13160, first cause, reduced after its blind score (session 70): `DataLoader(ds,
    # **dataclasses.asdict(ARGS))` hands the loader exactly the record's fields (the construction's, else the declared
    # defaults): a batch of 2 from `LoaderArgs(batch_size=2, ...)`, a batch of 12 with no `drop_last` field. The twin
    # declares `drop_last: bool = True` (the fix's shape)
    "training_loader_given_a_dataclass_record_by_asdict.py": [("BN301", 21)],
    "training_loader_given_a_dataclass_record_by_asdict_batch_12.py": [("BN302", 25)],
    "training_loader_given_a_dataclass_record_by_asdict_with_drop_last.py": [],
    # Transfer batch 25's 13240, first cause, reduced after its blind score (session 69): a LightningModule's public
    # `predict(images)` that no method of its class calls (no hook, nothing Lightning calls) runs where its users call
    # it, and Lightning sets no mode there: its run of `self` under no_grad is found. Twins: the module put in eval
    # by its `__init__` (the fix); `predict()` reached from `predict_step` / `validation_step`
    "lightning_module_public_predict_in_training_mode.py": [("BN101", 16)],
    "lightning_module_public_predict_of_a_module_built_in_eval.py": [],
    "lightning_module_predict_reached_by_its_hooks.py": [],
    # Transfer batch 25's 13181, reduced after its blind score (session 69): `NNTrainer._predict(self, model, X)` runs
    # the model it is given under no_grad and never puts it in eval: a method given the model owns its mode as a
    # function does (in a file that imports torch). Twins: the method calls `model.eval()` first; a torch-free
    # trainer's `model.predict_proba(X)` (a cuML estimator)
    "trainer_method_predicting_with_a_model_it_is_given.py": [("BN101", 18)],
    "trainer_method_predicting_with_a_model_it_puts_in_eval.py": [],
    "trainer_method_predicting_with_an_estimator_in_a_file_without_torch.py": [],
    # Transfer batch 25's 13081 post-fix alarm (session 69, after its blind score): `def predict(logits,
    # decoder=viterbi)` runs `decoder(logits)`; a parameter whose default is a project function (or a lambda) is a
    # callable, not a network. The twin without the default is an evaluation function run on a given model
    "predict_function_given_a_decoder_whose_default_is_a_function.py": [],
    "predict_function_given_a_decoder_without_default.py": [("BN101", 15)],
    # 13263's reduction in one file (session 69): the freeze by a loop over a DDP-or-plain choice bound to a name is
    # seen by the freeze summaries too, so the per-epoch `model.train()` followed by that re-freeze is clean (a false
    # BN105 there before the shared helper) and the `model.train()` after validation is found
    "batchnorm_eval_loop_over_a_named_ddp_choice_reset_after_validation.py": [("BN105", 33)],
    # Transfer batch 25's 13141, reduced after its blind score (session 69): `run_epoch(..., is_training=False)`, whose
    # loop runs the model, skips `backward()` under `if is_training:` and reads `torch.max(probs, 1)` predictions: on
    # that path the run evaluates (not only under `torch.set_grad_enabled(is_training)`). Twins: the fix's
    # `model.train() if is_training else model.eval()`; the function called on its training path only
    "epoch_function_predicting_where_its_flag_skips_the_training_step.py": [("BN101", 16)],
    "epoch_function_predicting_where_its_flag_skips_the_training_step_after_eval.py": [],
    "epoch_function_predicting_on_its_training_path_only.py": [],
    # Transfer batch 25's 13240 fix, reduced after its blind score (session 69): a module class whose `__init__` calls
    # `self.eval()` (the fix) starts in eval mode, so its own `predict()` under no_grad is no unowned evaluation; the
    # twin without that line is found
    "module_evaluation_method_of_a_class_built_in_eval.py": [],
    "module_evaluation_method_of_a_class_built_in_training.py": [("BN101", 16)],
    # Transfer batch 25's 13120 and 13121, reduced after its blind score (session 69): a metric method of the model runs
    # `for j in range(self.class_nb)`; builtins (and numpy's functions) run no code of what they are given, so the
    # model keeps its training mode and its test under no_grad is found. Twins: the model put in eval first; a method
    # giving a real submodule to an unknown imported function (its mode stays unknown)
    "metric_method_reading_a_count_attribute_then_evaluation_in_training.py": [("BN101", 23)],
    "metric_method_reading_a_count_attribute_then_evaluation_after_eval.py": [],
    "method_giving_a_submodule_to_an_unknown_function_then_evaluation.py": [],
    # Transfer batch 25's 13280/13281 post-fix alarm (session 69, after its blind score): `preprocess =
    # DeepLabV3_ResNet50_Weights.DEFAULT.transforms()` is torchvision's resize-and-normalise preset, no model: a weights
    # enum and what its members give hold no BatchNorm. The twin keeps the finding on the model itself (one, not two)
    "weights_enum_transforms_applied_before_an_evaluated_model.py": [],
    "weights_enum_transforms_applied_before_a_model_left_in_training.py": [("BN101", 11)],
    # Transfer batch 24's 12961, reduced (session 69): a `pl.LightningModule` that the project trains with a `fit()`
    # of its own (it calls `self.main_net.train()`, then `_process_epoch(test_loader, "test")`) is not run by
    # Lightning there: its test epoch in training mode is found. The twin puts the net in eval before the test
    # epoch, where the loop's `if mode == "train":` on the parameter takes one arm every iteration (the loop is
    # walked once per outcome, and the callers are those whose arguments give that outcome); a hook's helper
    # stays Lightning's
    "lightning_module_trained_by_its_own_fit_tests_in_training_mode.py": [("BN101", 32)],
    "lightning_module_trained_by_its_own_fit_tests_in_eval.py": [],
    "lightning_module_helper_run_by_its_validation_hook.py": [],
    # The same loop-invariant test in a plain epoch function (session 69): the base reported the fixed twin, an
    # earlier iteration's training arm flowing into the evaluation arm
    "epoch_function_with_a_mode_argument_tested_in_its_loop_in_training_mode.py": [("BN101", 25)],
    "epoch_function_with_a_mode_argument_tested_in_its_loop_after_eval.py": [],
    # Transfer batch 24's 13000, real case reduced (session 69): a test function's `if cfg.X:` arm calls
    # `model.train()` (then puts only dropout in eval) and its `else` arm `model.eval()`, the flag naming no mode: the
    # path through the train arm evaluates in training mode (a bug on one visible path is a bug); twins: a flag that
    # names a BatchNorm treatment (the code's choice), both arms in eval, and arms whose training path trains
    "evaluation_after_a_train_arm_beside_an_eval_arm.py": [("BN101", 27)],
    "evaluation_after_a_train_arm_on_a_bn_adaptation_flag.py": [],
    "evaluation_after_eval_on_both_arms.py": [],
    "run_after_a_train_arm_that_trains_beside_an_eval_arm.py": [],
    # Transfer batch 24's 12940, reduced after its blind score (session 68): `conv(self.batchNorm, ...)`, a builder
    # returning a block with BatchNorm under `if batchNorm:` and one without it otherwise, the flag undecided at the
    # call: the model may hold BatchNorm (MAYBE, not unknown), so its validation in training mode is found; the twin
    # puts it in eval for validation and back in training mode every epoch
    "model_of_a_builder_with_an_undecided_batchnorm_flag_validated_in_training.py": [("BN101", 45)],
    "model_of_a_builder_with_an_undecided_batchnorm_flag_validated_in_eval.py": [],
    # Transfer batch 24's 13001, reduced after its blind score (session 68): `self.model = load_test_model(self.model,
    # path)`, a loader that gives back the model it is given: the attribute keeps its mode (training), so the
    # service's feature extraction runs it in training mode; the twin puts it in eval after loading
    "model_attribute_given_back_by_a_weight_loader.py": [("BN101", 26)],
    "model_attribute_given_back_by_a_weight_loader_then_eval.py": [],
    # Transfer batch 24's 13000, reduced after its blind score (session 68): `model.train()` in a test function, then
    # `if isinstance(m, nn.Dropout): m.eval()` over its modules: only layers without BatchNorm pass the test, so
    # BatchNorm stays in training mode; the twin is Monte Carlo dropout (`model.eval()`, then dropout in training)
    "dropout_layers_put_in_eval_after_train_in_a_test.py": [("BN101", 25)],
    "dropout_layers_put_in_training_mode_after_eval_in_a_test.py": [],
    # Transfer batch 24's 12901-12904 (two repositories), reduced after its blind score (session 68): a frozen
    # autoencoder given to a test function runs there through its own method (`ae.decode(code)`, `decode_code`) in
    # training mode: knowledge rows (`ae` names a network, `decode` is a run method); twins: the autoencoder put in
    # eval, and a method of another name that runs no layer of its module
    "autoencoder_decode_method_run_in_training_mode.py": [("BN101", 35)],
    "autoencoder_decode_method_run_after_eval.py": [],
    "method_running_no_layer_of_its_model.py": [],
    # Transfer batch 21's 12161, reduced (session 68): the training step runs parts of a library model whose
    # parameters are frozen (`loss = student.model(student.preprocessor(x))`, CoNeTTE): a call on the model whose result
    # a backward pass trains on runs its layers and switches no mode; the twin keeps the frozen model in eval
    "frozen_model_whose_parts_the_training_step_runs.py": [("BN105", 7)],
    "frozen_model_kept_in_eval_whose_parts_the_training_step_runs.py": [],
    # Transfer batch 22's 12500, reduced (session 68): `fit(model, ...)` runs `model.training_step(batch, i)`, a
    # method only this file's one module class defines, whose `hessian(self, ...)` puts the model in eval inside the
    # training loop; the twin's method puts it back with `self.train()`
    "eval_left_by_the_files_one_module_method_run_on_a_parameter.py": [("BN103", 27)],
    "eval_undone_by_the_files_one_module_method_run_on_a_parameter.py": [],
    # its library form: pyhessian's `hessian(model, ...)` puts the model in eval (`knowledge/model_runners.EVAL_SETTERS`)
    "library_hessian_leaves_the_model_in_eval_in_the_training_loop.py": [("BN103", 18)],
    "library_hessian_followed_by_train_in_the_training_loop.py": [],
    # Transfer batch 22's 12541, reduced (session 68): a `train()` override that puts one named part back in eval
    # (`self.enc.eval()`) keeps that part frozen, not the others: `model.pool`, frozen by the script, is reset by
    # `model.train()`; twins: the override names every frozen part, or puts every BatchNorm of `self.modules()` in eval
    "frozen_part_the_train_override_does_not_refreeze.py": [("BN105", 26)],
    "frozen_parts_each_refrozen_by_the_train_override.py": [],
    "every_batchnorm_refrozen_by_the_train_override.py": [],
    # Transfer batch 22's 12341, reduced (session 68): a helper runs each model of the list it is given (`for model in
    # model_list: model(image)`), a list literal or a list the caller names; twins: every model put in eval first,
    # and a helper that trains each model of the list
    "ensemble_in_a_list_literal_run_by_a_helper.py": [("BN101", 9)],
    "ensemble_in_a_named_list_one_left_in_training.py": [("BN101", 9)],
    "ensemble_in_a_list_literal_put_in_eval_before_the_helper.py": [],
    "ensemble_in_a_list_literal_trained_by_a_helper.py": [],
    # Transfer batch 22's misses, reduced after its blind score (session 67).
    # 12461: `vae.train()` at the top of every epoch undoes, on the next epoch, the decoder's freeze made once inside
    # the loop (`if global_step == freeze_step:`); twins: the freeze made again after `.train()` every epoch, or on
    # every step from a step on (`>=`: a range test freezes again on every later iteration)
    "frozen_decoder_undone_by_train_at_the_top_of_the_next_epoch.py": [("BN105", 21)],
    "decoder_frozen_again_after_train_every_epoch.py": [],
    "decoder_frozen_on_every_step_from_a_step_on.py": [],
    "decoder_frozen_again_by_its_flag_after_train_every_epoch.py": [],  # (12461's fix)
    # 12301: `self.backbone[i].requires_grad = False` on a module is meant as its freeze (the attribute freezes
    # nothing: its parameters and BatchNorm layers train on); the twin sets it on a part without BatchNorm
    "module_requires_grad_attribute_set_false_in_training.py": [("BN105", 11)],
    "module_without_batchnorm_requires_grad_attribute_set_false.py": [],
    "parameter_requires_grad_attribute_set_false_in_training.py": [],  # (a parameter: batch 21's 12162, judged false)
    # 12620 (and batch 21's 12160, whose list comes from the callers): a module class keeps BatchNorm heads in a
    # plain list that `nn.Module` does not register, so `R.eval()` never reaches them; twins: an `nn.ModuleList`, and
    # a class that puts each head in eval itself
    "batchnorm_heads_kept_in_a_plain_list.py": [("BN101", 17)],
    "batchnorm_heads_kept_in_a_module_list.py": [],
    "batchnorm_heads_in_a_plain_list_put_in_eval_one_by_one.py": [],
    "batchnorm_heads_in_a_plain_list_registered_one_by_one.py": [],  # (`setattr(self, f"head_{i}", head)`: batch 19)
    # Transfer batch 21's false alarm and misses, reduced after its blind score (session 67).
    # 12243 (post): `predict()` is called by the training step, whose loss backpropagates what it returns: that call
    # runs the model for training, whatever the method's name; only the evaluation's call after `.eval()` is an
    # evaluation. The first file's evaluation has no `.eval()` and stays a finding
    "predict_method_run_by_the_training_step_and_by_an_evaluation.py": [("BN101", 11)],
    "predict_method_run_by_the_training_step_and_by_an_evaluation_in_eval.py": [],
    # 12241: `run(agent)` calls `agent.act(x)`, which runs `self.cnn` on one image; the caller of `run` loaded the
    # weights and left the cnn in training mode: the method call on an instance held in a parameter resolves
    # through that function's callers; the twin puts the cnn in eval after loading
    "method_of_an_instance_given_to_a_function_runs_its_loaded_model.py": [("BN101", 22)],
    "method_of_an_instance_given_to_a_function_runs_its_loaded_model_in_eval.py": [],
    # 12240: `mcts = PVMCTS(self.model)` in a method, then `mcts.search(x)` under `no_grad`: `mcts.model` is the
    # method's own `self.model`, in the mode the method's callers leave it in; the twin evaluates after `.eval()`
    "method_of_a_search_object_built_from_the_model.py": [("BN101", 21)],
    "method_of_a_search_object_built_from_the_model_in_eval.py": [],
    # 12245: `Tree(board, model=m)` stores the model and scores the root with it in `__init__` (through a method
    # only `__init__` calls) under `no_grad`: a run of the caller's model at the construction, not a shape probe of
    # a module being built; the twin puts the model in eval first. A module's own part run in `__init__` on zeros
    # stays a shape probe
    "model_given_to_a_constructor_that_scores_with_it.py": [("BN101", 22)],
    "model_given_to_a_constructor_that_scores_with_it_in_eval.py": [],
    "shape_probe_of_the_module_built_in_init.py": [],
    # 12201: a module class's own evaluation method (`predict_image(self)` running `self(x)` to argmax) with no caller
    # here owns its mode (RULES.md Evidence); not where a caller puts the model in eval first, where the method puts
    # `self` in eval, nor where its only calls are a training step's forward
    "module_class_own_predict_method_runs_itself.py": [("BN101", 15)],
    "module_class_own_predict_method_called_after_eval.py": [],
    "module_class_own_predict_method_trained_on.py": [],
    "module_class_own_predict_method_sets_eval.py": [],
    # 12242: a rollout loop nested in the training loop runs the policy under `no_grad` on one observation
    # (`obs.unsqueeze(0)`) and takes its argmax as the action: acting, not a forward of the outer loop's training
    # step (its logits reach the loss only as constants); the twin acts in eval mode and trains after `.train()`
    "policy_acting_on_one_observation_in_the_rollout_loop.py": [("BN101", 24)],
    "policy_acting_on_one_observation_in_the_rollout_loop_in_eval.py": [],
    # 12080: `was_training = model.training; model.eval(); ...; if was_training: model.train()` restores the flag
    # with `model.train()`, which puts every part in training mode, the frozen backbone layer too: the restore is
    # the branch taken, not each part's saved mode; the twin freezes no part, and the restore is no finding
    "frozen_part_reset_by_a_restore_guard_train.py": [("BN105", 27)],
    "restore_guard_train_with_no_frozen_part.py": [],
    # 12162: `base_model.eval()`, then `test_model(base_model, ...)` evaluates it, then a deepcopy of it is fine-tuned:
    # the inline `.eval()` is the evaluation's, shown by the evaluation after it, and the copy trains in eval; the
    # twin puts the copy back in training mode first
    "copy_of_an_evaluated_model_fine_tuned_in_eval.py": [("BN103", 35)],
    "copy_of_an_evaluated_model_fine_tuned_after_train.py": [],
    # the main corpus's 109 (post): batches of one trained with the model put in eval first on purpose (BatchNorm on
    # its running averages, the script's comment says why): no batch statistics, no tiny batch; found where every
    # caller of the training function leaves the module global in eval. The twin trains in training mode
    "batches_of_one_trained_with_the_model_in_eval.py": [],
    "batches_of_one_trained_with_the_model_in_training_mode.py": [("BN301", 6)],
    # batch 22's 12301 (judged false): `super().train(); self.training = True` repeats the flag the switch just
    # set, and `self.training = True` in `__init__` is a new module's default; the twin sets the flag with no switch,
    # or against the one made
    "training_flag_repeated_after_the_switch.py": [],
    "training_flag_set_without_the_switch.py": [("BN102", 10), ("BN102", 14)],
    # Transfer batch 21's misses, reduced after its blind score (session 66).
    # 12204: a model picked by name from segmentation_models_pytorch (`getattr(smp, arch)(**kwargs)`) is one of a
    # model zoo's architectures, which hold BatchNorm; the twin evaluates in eval mode
    "segmentation_model_picked_by_name_from_smp_run_for_inference.py": [("BN101", 20)],
    "segmentation_model_picked_by_name_from_smp_run_for_inference_in_eval.py": [],
    # 12201: `x.to(model.device)` reads where the model lives; it sets no submodule's mode
    "input_moved_to_the_model_device_before_evaluation.py": [("BN101", 18)],
    "input_moved_to_the_model_device_before_evaluation_in_eval.py": [],
    # 12164: one sample sliced out of the batch (`wavs[i:i + 1, :, :n]`) and trained on: a batch of one; the twin
    # trains on the whole batch
    "each_sample_sliced_out_of_the_batch_in_training.py": [("BN301", 15)],
    "whole_batch_cropped_in_training.py": [],
    # 12161: `p.requires_grad_(False)` on each parameter freezes as `p.requires_grad = False` does; the twin keeps
    # the frozen backbone in eval
    "backbone_frozen_by_requires_grad_underscore_on_each_parameter.py": [("BN105", 8)],
    "backbone_frozen_by_requires_grad_underscore_on_each_parameter_kept_in_eval.py": [],
    # Transfer batch 20's misses, each reduced after its blind score to one cause (session 66).
    # 11920: a registry the code fills at run time (a comprehension over `globals()`) builds a model of unknown class
    # (RULES.md Evidence: it may hold BatchNorm in a project that builds BatchNorm); the twin evaluates after `.eval()`
    "model_built_from_a_registry_filled_at_run_time.py": [("BN101", 27)],
    "model_built_from_a_registry_filled_at_run_time_then_eval.py": [],
    # 11843: `self.model_cls(**model_kwargs)` builds the class a setter gave the trainer: of unknown class
    "trainer_builds_the_class_a_setter_gave_it.py": [("BN302", 27)],
    "trainer_builds_the_class_a_setter_gave_it_dropping_the_last_batch.py": [],
    # 11845: `self.files = []` grown by `append` has no known length (it was read as 0, a dataset no batch can split)
    "dataset_list_grown_by_append_has_no_known_length.py": [("BN302", 33)],
    "dataset_list_grown_by_append_has_no_known_length_dropping_the_last_batch.py": [],
    # 11845: `self.backbone = backbone.to(device)` holds the model the trainer was given
    "trainer_holds_the_model_it_was_given_moved_to_a_device.py": [("BN302", 22)],
    "trainer_holds_the_model_it_was_given_moved_to_a_device_dropping_the_last_batch.py": [],
    # 11760: PyG's `torch_geometric.nn.BatchNorm` is a BatchNorm (over node features); the twin evaluates after `.eval()`
    "graph_model_with_pyg_batchnorm_run_after_loading_weights.py": [("BN101", 19)],
    "graph_model_with_pyg_batchnorm_run_after_loading_weights_then_eval.py": [],
    # 11841: the training forward runs in a loss helper (`loss = self.loss(model, x)`, backpropagated by its caller):
    # a training step of the model it is given, so the epoch loop's `.eval()` leaves later steps in eval; the twin
    # calls `.train()` at the top of each epoch
    "training_forward_in_a_loss_helper_then_eval_in_the_epoch_loop.py": [("BN103", 16)],
    "training_forward_in_a_loss_helper_then_eval_in_the_epoch_loop_and_train_again.py": [],
    # batch 18's 10582, lost by the first version of that capability: the evaluation loop's `loss = forward(...)`
    # reuses the training loop's name, whose later `loss.backward()` backpropagates the training call only
    "loss_helper_called_by_training_and_evaluation_loops_under_one_name.py": [("BN101", 18)],
    "loss_helper_called_by_training_and_evaluation_loops_in_their_modes.py": [],
    # 11840: a plain trainer class builds a backbone, puts it in eval in `__init__` and gives its parameters to no
    # optimizer: a frozen feature extractor, which `self.backbone.train()` each epoch undoes; the twin keeps it in
    # eval; a model the class optimises, put in eval in `__init__`, is no freeze
    "feature_extractor_frozen_in_a_plain_trainer_then_train_each_epoch.py": [("BN105", 24)],
    "feature_extractor_frozen_in_a_plain_trainer_kept_in_eval.py": [],
    "model_put_in_eval_by_a_plain_trainer_and_optimised_is_no_freeze.py": [],
    # 11842: an optimizer given only the head (`Adam(model.head.parameters())`, in a helper) leaves the encoder's
    # parameters out, a freeze, while its BatchNorm layers train in training mode; the twin puts the encoder in
    # eval after `.train()`; an optimizer given the BatchNorm-bearing encoder leaves out a head without BatchNorm
    "linear_probe_optimising_only_the_head_in_training_mode.py": [("BN105", 18)],
    "linear_probe_optimising_only_the_head_with_the_encoder_in_eval.py": [],
    "encoder_optimised_and_head_left_out_holds_no_batchnorm.py": [],
    # 11800: a plain method of a LightningModule (`evaluate()`) that only the `training_epoch_end` hook calls runs in
    # the hook's mode, training (the framework's mode known through the class's own calls, not left to it); the
    # twins put the model in eval in the method, or call it from `on_validation_epoch_end` (eval mode)
    "evaluation_method_called_from_the_training_epoch_end_hook.py": [("BN101", 33)],
    "evaluation_method_called_from_the_training_epoch_end_hook_in_eval.py": [],
    "evaluation_method_called_from_the_validation_epoch_end_hook.py": [],
    # its precision guard: a shared step the training and the validation steps both call runs the model as the
    # framework's loop does (a training step reaches it): framework-managed, as the steps themselves are
    "shared_step_of_a_lightning_module_called_from_training_and_validation.py": [],
    # 11800: the Q-values read through `.squeeze(0)` before `torch.max(q, dim=0)` are predictions as they are
    # without it; the twin puts the network in eval
    "prediction_read_through_a_squeeze.py": [("BN101", 17)],
    "prediction_read_through_a_squeeze_in_eval.py": [],
    # 11882: models held in a plain list of a LightningModule (given as `models: list`) are no registered parts:
    # Lightning's eval around `predict_step` does not reach them; the twin holds them in an `nn.ModuleList`
    "ensemble_models_in_a_plain_list_of_a_lightning_module.py": [("BN101", 25)],
    "ensemble_models_in_a_module_list_of_a_lightning_module.py": [],
    # its precision guard: teachers in a plain list run under `no_grad` in a Lightning training step feed that step
    # (RULES.md: a teacher run inside a training step is training, not evaluation), whatever list holds them
    "teachers_in_a_plain_list_run_in_a_lightning_training_step.py": [],
    # 11882: `config["base_model"](x)` in `for config in self.member_configs:` runs a model each element holds; the
    # twin puts each in eval in the loop
    "ensemble_configs_each_holding_a_model_run_in_a_loop.py": [("BN101", 24)],
    "ensemble_configs_each_holding_a_model_run_in_a_loop_each_put_in_eval.py": [],
    # Transfer batch 19's misses and false alarms, each reduced after its blind score to one cause (session 65).
    # 11542: a builder's tuple unpacked into attributes (`self.model, self.predictor = self.get_models()`) holds the
    # model it builds; the twin puts it in eval after
    "builder_tuple_unpacked_into_attributes.py": [("BN101", 25)],
    "builder_tuple_unpacked_into_attributes_then_eval.py": [],
    # 11500: an inference class's method runs each model of `self.models` in a loop, none put in eval (the loop
    # variable is an element of the collection the class was given); the twin calls `model.eval()` in the loop
    "models_held_by_an_inference_class_run_in_a_loop.py": [("BN101", 32)],
    "models_held_by_an_inference_class_run_in_a_loop_each_put_in_eval.py": [],
    # its false alarm on batch 16's 10161 (judged on the whole snapshots after the change): a loop over
    # `self.transforms` named for no network runs data transforms, not models
    "transforms_composed_in_a_loop_are_no_models.py": [],
    # batch 15's 9990 (DivideMix), reported once module bases across files were known: co-training puts each model
    # in eval as the other's fixed target, then trains it whole in the next step: no freeze undone
    "co_training_steps_each_model_with_the_other_fixed.py": [],
    # 11461: `memory_loader` names no training split, but the loop that builds it over it steps an optimizer: the
    # training in view outranks the name; the twin drops the last batch
    "loader_named_memory_trained_in_its_loop.py": [("BN302", 23)],
    "loader_named_memory_trained_in_its_loop_dropping_the_last_batch.py": [],
    # 11422: a thin wrapper `nn.RNN(*args, **kwargs)` given `batch_first=True` by its caller: the layer is built
    # with the keywords spread; the twin normalises with LayerNorm
    "rnn_wrapper_spreading_batch_first_into_batchnorm.py": [("BN203", 19)],
    "rnn_wrapper_spreading_batch_first_into_layernorm.py": [],
    # 11540's false alarm: `self.cross_entropy = nn.CrossEntropyLoss()` is a loss module, no model
    "loss_module_of_a_trainer_is_no_model.py": [],
    # 11460: a loss of the outputs read out as a number (`.item()`) in a function that trains nothing and hands
    # no tensor back is an evaluation; the twin logs `loss.item()` and returns the loss for the caller's backward
    "loss_of_outputs_read_out_as_a_number.py": [("BN101", 17)],
    "loss_of_outputs_logged_and_handed_back_for_backward.py": [],
    # 11380/11381's reduction: `momentum=1 - bn_decay` is a converted Keras decay, not batch statistics by design
    # (`momentum=1`, the twin); the converted value 0.99 is BN205's
    "keras_decay_converted_momentum_is_not_batch_statistics.py": [("BN205", 11), ("BN101", 21)],
    "momentum_one_is_batch_statistics_on_purpose.py": [],
    # 11380: a method of a builder object (`HiddenLayersFactory(bn_decay).create(n)`, a plain project class) builds
    # what it returns; the twin puts it in eval before sampling
    "builder_object_method_builds_the_model.py": [("BN205", 10), ("BN101", 17)],
    "builder_object_method_builds_the_model_then_eval.py": [("BN205", 10)],
    # hulk-keypoints (transfer batch 18's 10583, reduced after its blind score): a model built in `if/elif` with no
    # `else`, appended to a local list, moved in a loop over that list, then evaluated as `models[0]`: the list's
    # entry is the model (`list_entries`), a loop over a list the code shows whole runs once per entry, and a name
    # bound on every branch that binds it (a loop variable only later) is the model built there. The twin (the fix)
    # puts it in eval before; before the change it was reported "may be in training mode"
    "model_listed_then_moved_in_a_loop_evaluated_through_its_entry_in_training_mode.py": [("BN101", 18)],
    "model_listed_then_moved_in_a_loop_put_in_eval_before_its_entry_is_evaluated.py": [],
    # remote-sensing-image-captioning (transfer batch 17's 10450, reduced after its blind score): a plain class that
    # builds a pretrained model on `self` and runs it in a method, called over the data splits by a script that trains
    # nothing, is an inference run; the twin puts the model in eval in `__init__`. (The real case stays missed: its
    # model comes from another file's method that returns `(model, dim)` by config branches.)
    "feature_extractor_class_holding_a_pretrained_model_run_over_data.py": [("BN101", 16)],
    "feature_extractor_class_holding_a_pretrained_model_put_in_eval.py": [],
    # SRGAN-PyTorch (transfer batch 17's 10330, reduced after its blind score): a helper that runs a model and makes
    # its output an image to look at (`plt.imshow`, `save_image`, a writer's `add_image`) in a function that trains
    # nothing evaluates it; the twin puts the model in eval before the helper
    "model_output_shown_as_images_by_a_helper.py": [("BN101", 6)],
    "model_output_shown_as_images_by_a_helper_in_eval.py": [],
    # the same case: a `trainer` parameter in a file that imports no training framework is the project's object
    # (here a holder of the generator), not a framework that sets the modes; the twin's generator is in eval
    "trainer_parameter_holding_a_generator_shows_samples.py": [("BN101", 23)],
    "trainer_parameter_holding_a_generator_in_eval_shows_samples.py": [],
    # Image-Classification's knowledge-distillation hook (transfer batch 16's 10100, reduced after its blind score):
    # `self.trainer` of a plain hook class that the project's own trainer hands itself to is no framework's trainer
    # that sets the modes, so the teacher the hook builds runs in training mode under `no_grad`; the twins put the
    # teacher in eval, or hold a library's trainer, which does set the mode
    "hook_of_a_project_trainer_runs_its_teacher_in_training_mode.py": [("BN101", 19)],
    "hook_of_a_project_trainer_puts_its_teacher_in_eval.py": [],
    "helper_holding_a_library_trainer_evaluates_through_it.py": [],
    # the same capability in a script: a `trainer` variable that builds the project's own `Trainer` class is no
    # framework's (the name alone used to silence the function); the twin puts the model in eval
    "model_trained_by_a_project_trainer_then_tested_in_training_mode.py": [("BN101", 23)],
    "model_trained_by_a_project_trainer_then_put_in_eval.py": [],
    # cifar100LTreproceduce (transfer batch 16's 10104, reduced after its blind score): a training loop runs a
    # submodule of a project model (`model.gating_net(x)`): what the class stores on that attribute is what trains.
    # The twin's submodule has no BatchNorm
    "submodule_of_a_model_trained_on_a_batch_of_two.py": [("BN301", 23)],
    "submodule_without_batchnorm_of_a_model_trained_on_a_batch_of_two.py": [],
    # the same case: a config section bound to a name and changed (`sel = CONFIG["selective"]; sel["t"] = ...`)
    # changes that section only, not the batch size in another; the twin changes the batch size's own section
    "config_section_changed_through_another_section.py": [("BN301", 21)],
    "config_section_changed_through_itself.py": [],
    # deeplab (transfer batch 16's 10122, reduced after its blind score): `DataLoader(..., drop_last=False,
    # **kwargs)`: an unknown `**kwargs` cannot repeat a keyword the call writes, so `drop_last` and the batch size
    # are known; the twin leaves `drop_last` to the bundle
    "loader_with_keyword_bundle_and_explicit_drop_last.py": [("BN302", 17)],
    "loader_with_keyword_bundle_only.py": [],
    # few-shot-framework (transfer batch 16's 10241, reduced after its blind score): `self.mod.eval()` of a plain
    # wrapper held on `self` whose own `eval()` calls `self.base_model.train()` (a copy-paste of its `train()`). A
    # plain class's `eval()` / `train()` is its own method, followed also on a held attribute, not a mode switch;
    # the twin's `eval()` evaluates
    "wrapper_eval_method_that_trains_its_model.py": [("BN101", 38)],
    "wrapper_eval_method_that_evaluates_its_model.py": [],
    # EE-559 Proj1 (transfer batch 16's 10184, reduced after its blind score): `model = model_maker()`, a factory the
    # callers give, builds a module of unknown content and mode; trained, it is in training mode (RULES.md, Modes: a
    # model after a training step), on every path but the training loop run zero times. The twin puts it in eval
    "model_from_a_given_factory_trained_then_evaluated.py": [("BN101", 26)],
    "model_from_a_given_factory_trained_then_put_in_eval.py": [],
    # ML-Final-Project's BYOL linear evaluation (transfer batch 16's 10180, reduced after its blind score by a helper):
    # `linear_eval(encoder, loader)` freezes the encoder it is given and trains a head; its caller passes an encoder
    # it has just built, in training mode. The freeze's watch takes the parameter's mode from its callers, as BN101
    # does; the twin's caller puts the encoder in eval
    "helper_freezes_a_parameter_its_caller_builds.py": [("BN105", 12)],
    "helper_freezes_a_parameter_its_caller_puts_in_eval.py": [],
    # int2-project (transfer batch 16's 10186, reduced after its blind score): a module that trains itself with the
    # optimizer it holds (`self.optimizer.step()`), then evaluates itself under `no_grad`. An attribute named for
    # an optimizer, scheduler or gradient scaler holds no submodule, so its methods change no mode; the twin puts
    # itself in eval first
    "module_trained_by_its_held_optimizer_evaluates_itself.py": [("BN101", 17)],
    "module_trained_by_its_held_optimizer_evaluates_itself_in_eval.py": [],
    # mymi (transfer batch 16's 10124, reduced after its blind score): a model a framework builds with trained
    # weights in training mode (`Localiser.load_from_checkpoint(path)`, returned by the class's own static `load`)
    # and run on data in a file that trains nothing is an inference run; the twin puts it in eval
    "class_loader_of_a_lightning_checkpoint_runs_in_training_mode.py": [("BN101", 24)],
    "class_loader_of_a_lightning_checkpoint_then_eval.py": [],
    # mutual-knowledge-distillation (transfer batch 15's 9804, reduced after its score): `for net in self.nets:
    # net.train()` before a validation loop that runs `for net in self.nets: net(images)`. The loop variable names any
    # element of the collection (`self.nets[*]`), one module under two names; the twin puts them in eval
    "networks_of_a_trainer_validated_in_training_mode.py": [("BN101", 44)],
    "networks_of_a_trainer_validated_in_eval.py": [],
    "local_list_of_networks_validated_in_training_mode.py": [("BN101", 23)],
    # huggingface_hub's mixin (transfer batches 14's 9203/9204 and 15's 10031, reduced after their scores): a project
    # module class deriving from `PyTorchModelHubMixin` that `from_pretrained` loads is in training mode (the mixin's
    # safetensors path calls no `.eval()`); its twins call `.eval()`, or derive from transformers' `PreTrainedModel`,
    # whose `from_pretrained` returns eval mode (RULES.md, Modes)
    "hub_mixin_from_pretrained_runs_in_training_mode.py": [("BN101", 19)],
    "hub_mixin_from_pretrained_then_eval.py": [],
    "transformers_subclass_from_pretrained_is_in_eval.py": [],
    # temperature_scaling (transfer batch 15's 9615, reduced after its blind score): a project module's own method that
    # loops over data under `no_grad` (`collect(valid_loader)`) is a routine followed with the caller's instance, not a
    # forward variant run at the call; its twins put the wrapper in eval first, or call a method that only runs a
    # submodule (`encode(x)`), a forward of the wrapper
    "module_method_evaluates_its_held_model.py": [("BN101", 12)],
    "module_method_evaluates_after_eval.py": [],
    "module_method_is_a_forward.py": [],
    # CoSADUV (transfer batch 15's 9970, reduced after its blind score, its second cause): an evaluation helper one of
    # whose callers passes a model shown in training mode on every path (a fresh model with loaded weights) is a bad
    # path that another caller's mode choice (`if mode == "eval": model.eval()`) does not cancel (RULES.md: a bug on
    # one visible path is a bug); its twin puts the loaded model in eval too
    "one_caller_evaluates_in_training_mode.py": [("BN101", 17)],
    "every_caller_chooses_the_mode.py": [],
    # the embedding evaluation of transfer batch 14's 9302 (reduced by a helper after its score): a function that
    # calls a module's own freezing method (`setup(enc)`: `enc.freeze()`) gives it back frozen, and the training loop
    # that puts it in training mode updates its BatchNorm statistics; its twins keep it in eval, or pass the helper a
    # flag under which it does not freeze
    "frozen_by_a_helper_then_trained.py": [("BN105", 15)],
    "frozen_by_a_helper_kept_in_eval.py": [],
    "helper_told_not_to_freeze.py": [],
    # neural_sp (transfer batch 14's 9000, reduced by a helper after its score): a dev batch drawn inline in the
    # training loop (`model(next(dev_iter), is_eval=True)`) is evaluation data, whose forward reaches no step; its
    # twins put the model in eval around it, or draw a second training batch (a forward the loop's data feeds)
    "dev_batch_drawn_in_the_training_loop.py": [("BN101", 25)],
    "dev_batch_drawn_in_the_training_loop_in_eval.py": [],
    "train_batch_drawn_in_the_training_loop.py": [],
    # salarim's continual-learning prototypes (transfer batch 12's 7204 post): a linear probe trained on features
    # detached at once (`encoder(x)[0].detach()`) trains the head, not the encoder, so the encoder keeps the mode its
    # caller gave it (eval) for the test loop after it; its twin fine-tunes a fresh encoder, which stays in training mode
    "probe_on_detached_features.py": [],
    "probe_fine_tunes_the_encoder.py": [("BN101", 16)],
    # icefall (transfer batch 7's 2001, reduced after its blind score): a TorchScript file saved from a model in training
    # mode keeps its `training` flag (a deployment that loads it runs BatchNorm on batch statistics); its twins put
    # the model in eval first, or script it in a training function (a check that it scripts, not its deployment)
    "script_saved_in_train_mode.py": [("BN104", 20)],
    "script_saved_in_eval_mode.py": [],
    "script_saved_by_a_training_function.py": [],
    # simplecv (eval deletion in its Deeplabv3plus example): an evaluation function owns the mode of a model held by
    # the object it is given (`self.model` of a function bound as a method, `solver.model`); its twins: the caller
    # puts that model in eval, or the function calls a method of the object (`agent.act(s)`), not a model
    "model_held_by_given_object_evaluated.py": [("BN101", 18)],
    "model_held_by_given_object_put_in_eval_by_caller.py": [],
    "method_of_given_object_not_a_model.py": [],
    # PyG (eval deletion in pytorch_geometric's RandLA-Net example): PyG's MLP normalises with BatchNorm by default, so
    # a test function run after training evaluates in training mode; its twins put it in eval, or turn the norm off
    "pyg_mlp_evaluated_after_training.py": [("BN101", 34)],
    "pyg_mlp_evaluated_after_training_in_eval.py": [],
    "pyg_mlp_without_norm_evaluated_after_training.py": [],
    # torch_xla (transfer case 1904): an evaluation function nested in the training function, handed to a runner that
    # calls it with each replica, owns its model's mode like a module-level one; its twins set eval themselves, are
    # called here with a model put in eval, or evaluate a model without BatchNorm
    "nested_evaluation_function_handed_to_runner.py": [("BN101", 16)],
    "nested_evaluation_function_sets_eval.py": [],
    "nested_evaluation_function_given_eval_model.py": [],
    "nested_function_without_batchnorm_model.py": [],
    # GP-VTON (transfer case 1903): a `norm_layer` parameter passed on keeps its BatchNorm default (its twin's caller
    # replaces it); weights loaded by a project helper given the model, and a DDP wrapper of the loaded model, make
    # an inference run (the twins: the helper sets eval, the loaded model is trained, the model is put in eval
    # before it is wrapped)
    "norm_layer_parameter_passed_on.py": [("BN101", 30)],
    "norm_layer_parameter_passed_on_replaced_by_caller.py": [],
    "weights_loaded_by_helper.py": [("BN101", 24)],
    "weights_loaded_by_helper_that_sets_eval.py": [],
    "weights_loaded_by_helper_then_trained.py": [],
    "wrapper_of_loaded_model.py": [("BN101", 20)],
    "wrapper_of_loaded_model_after_eval.py": [],
    # TorchBench (transfer case 1907): `train()` / `eval()` of a class with no bases (a benchmark's holder of a model)
    # are its own methods, not mode switches; `model, inputs = self.get_module()` (a getter) and `model = self.model`
    # are `self.model` as the method enters (the twins put it in eval: in the method, or in `__init__`)
    "plain_class_train_method_then_eval_method.py": [("BN101", 20)],
    "plain_class_eval_method_sets_eval.py": [],
    "getter_of_self_model.py": [("BN101", 15)],
    "getter_of_self_model_put_in_eval.py": [],
    "local_alias_of_self_model_in_eval_elsewhere.py": [],
    # BigGAN (transfer case 1702): a closure a factory returns trains what the factory was given; this one puts its
    # model back in training mode itself (the twin does not: found). caladrius (transfer case 1800): a training step
    # of `self` trains the parts it holds, but not those the helper running the step sets the mode of first
    # (`run_epoch(phase="train")` calling `self.model.train()`). A functional batch norm run on its stored statistics
    # only (training=False) makes no BatchNorm layer
    "closure_made_by_factory_resets_train.py": [],
    "closure_made_by_factory_left_in_eval.py": [("BN103", 32)],
    "helper_sets_part_mode_before_its_step.py": [],
    "functional_batch_norm_with_stored_statistics_only.py": [],
    # insightface (transfer case 1602): a method aliased in the class body (`evaluate_accelerate = evaluate`) is that
    # method, not a module attribute; this one puts the model back in training; a head moved by `self.head =
    # self.head.cuda()` holds what it held (no BatchNorm; its twin has one)
    "method_alias_in_class_body_restores_train.py": [],
    "head_moved_to_gpu_without_batchnorm.py": [],
    "head_moved_to_gpu_with_batchnorm.py": [("BN101", 39)],
    # lumin (transfer case 1200): a one-line `if self.bn:` BatchNorm1d, an activation from a lookup helper and a
    # Sequential of a comprehension, run on (N, C) features: BatchNorm1d is right (the bug/ twin feeds (N, L, E))
    "optional_batchnorm_on_flat_features.py": [],
    # cryoet (transfer case 1417): a builder whose branches build different models returns a BatchNorm model on one
    # of them, traced in training mode; its twins: no branch builds BatchNorm, or the model is put in eval first
    "builder_branches_without_batchnorm.py": [],
    "builder_branch_with_batchnorm.py": [("BN104", 27)],
    # dlcv18 (transfer case 1410): a model loaded, or else built without BatchNorm: the built path holds none
    "loaded_or_built_without_batchnorm.py": [],
    "loaded_or_built_with_batchnorm.py": [("BN101", 15)],
    # NeMo (mined case 305): a method exporting `self` with no caller in view owns its mode; its twin's caller sets eval
    "export_method_of_self_no_caller.py": [("BN104", 13)],
    "export_method_of_self_after_eval.py": [],
    # hairseg (mined case 712): a scripted module keeps its caller's mode, blocks built by a class default;
    # the twin's default class has no BatchNorm
    "scripted_module_with_class_default_blocks.py": [("BN104", 24)],
    "class_default_blocks_without_batchnorm.py": [],
    # detectron2's inference_on_dataset: `stack.enter_context(inference_context(model))` calls eval()
    "exitstack_inference_context.py": [],
    "exitstack_no_grad_only.py": [("BN101", 20)],
    # d2l's DenseNet: the block's layers are iterated and concatenated, not applied in order
    "densenet_concatenation.py": [],
    "densenet_applied_in_order.py": [("BN201", 7), ("BN201", 25), ("BN201", 39)],
    # a linear regression evaluated in its training loop: no BatchNorm, no finding
    "linear_layer_evaluated_in_loop.py": [],
    # tacto (mined case 110): the name rebuilt from its own children was an endless recursion, a BN900 for the file
    "children_rebound_to_the_same_name.py": [("BN101", 9)],
    # pvnet (mined case 702): a parameter its callers give a class is called to build the model, not run
    "class_given_to_a_builder_parameter.py": [("BN101", 18)],
    # MixMatch (mined case 410): an inner loop collects the model's outputs for the outer loop's loss
    "inner_loop_feeds_the_outer_step.py": [],
    # d2l (mined case 500): its mxnet.py beside its torch.py; Gluon's BatchNorm has no train/eval state
    "mxnet_evaluation.py": [],
    "mxnet_evaluation_torch_twin.py": [("BN101", 9)],
    # torchcam (mined case 503): the branch where `model.training` is False runs only in eval mode; the test
    # narrows the mode, it does not change it (predict() after it still runs the built model in training mode)
    "training_flag_branch.py": [("BN101", 16)],
    # the precision issue's reductions (d2l, detectron2, a pytest shape test): a path that ends at `assert False` or
    # `sys.exit` sets no mode; an `isinstance(net, nn.Module)` guard around `.eval()`; `model.train()` in a test
    # under `@torch.no_grad()  # to save memory`
    "mode_branches_end_at_assert_false.py": [],
    "exit_ends_the_path.py": [],
    "eval_under_an_isinstance_guard.py": [],
    "tests/test_norm_state_under_no_grad.py": [],
    # library parts without BatchNorm: PyG's GCN (norm=None by default; its twin asks for batch norm), torchvision's
    # AnchorGenerator
    "pyg_gcn_without_norm.py": [],
    "pyg_gcn_with_batch_norm.py": [("BN101", 12)],
    "anchor_generator_without_batchnorm.py": [],
    # `model.training = False` where every BatchNorm normalises with the batch in both modes
    "batch_statistics_only_flag.py": [],


    # yolov3 (mined case 405): a model's own weight loader by name (`model.load_weights(path)`) makes the script an
    # inference run; saving its weights does not
    "model_loads_its_weights.py": [("BN101", 25)],
    "model_saves_its_weights.py": [],
    # TorchServe and rtseg (mined cases 501, 711): what a class's methods leave `self.model` in is the entry of the
    # method run from outside; a class that puts it in eval does not get there. A project class built from the model
    # leaves it as its `__init__` does: in eval here
    "handler_initialize_puts_model_in_eval.py": [],
    "wrapper_built_from_the_model_evaluates_it.py": [],
    # torchsummary (mined case 210): a helper that calls itself on the module's children does what the rest of
    # its body does; one that puts each in eval leaves the model in eval
    "recursive_helper_puts_model_in_eval.py": [],
    "recursive_helper_keeps_the_mode.py": [("BN101", 14)],
    # dataflowr (mined case 507): a pretrained model's smoke test on random input spoils the evaluation after
    # `.eval()` (the running statistics moved); fine-tuning in between is what the evaluation sees. A name bound
    # to random input and then to data is data at the later call
    "smoke_test_then_fine_tuning.py": [],
    "random_input_rebound_to_data.py": [("BN101", 8)],
    # alaska2 and pvnet (mined cases 708, 702): a test builds a model and runs it on random input; the twin
    # loads weights into it first, and evaluates that
    "tests/test_fresh_model_shapes.py": [("BN101", 26)],
    # GEARS (transfer case 1204): a holder class whose fit validates (eval) and whose predict runs the model: only
    # built, its entry is unknown; loaded with trained weights by another method and left in training mode, it is not
    "holder_fit_validates_predict_built_only.py": [],
    "holder_fit_validates_predict_after_restore.py": [("BN101", 34)],
    # cpa (transfer case 1205): Lightning runs validation_step in eval mode, unless an earlier hook of the phase
    # calls train(); scvi-tools' TrainingPlan is a LightningModule
    "lightning_validation_step_in_eval.py": [],
    "lightning_validation_start_hook_trains.py": [("BN101", 25)],
    "scvi_plan_validation_step_in_eval.py": [],
    "scvi_plan_validation_start_hook_trains.py": [("BN101", 24)],
    # yolact and towhee (transfer cases 1202, 1306): a name assigned the frozen model is that model, frozen again
    # under its other name; a module's `train(self, mode=True)` that freezes again keeps it frozen (a trainer's
    # `train(self, loader)` beside it is no such override)
    "alias_of_a_frozen_model_frozen_again.py": [],
    "trainer_train_beside_a_refreezing_module.py": [],
    # neural-compressor's TEQ (transfer case 1309): a plain class's `self.model.eval()` in `__init__` sets the mode of
    # the model it is given, no BatchNorm freeze; its own `train(loader)` trains it
    "plain_class_evals_the_model_it_is_given.py": [],
    # hsi (mined case 1100): a method only `__init__` calls runs while the module is built, a shape probe
    "shape_probe_in_a_helper_of_init.py": [],
    # fcsn (mined case 1101): a Sequential of a model's children keeps their modes (eval here)
    "sequential_of_children_after_eval.py": [],
    # dlcv22 (mined case 1409): `for net in [enc, head]: net.eval()` puts each in eval
    "eval_in_a_loop_over_a_module_list.py": [],
    # siamesenet (mined case 1416): a lambda's model runs where it is called, in eval there
    "lambda_run_after_eval.py": [],
    # neural-compressor (mined case 1309): the other branch's object is a path of its own; this one is in eval
    "loaded_on_other_branch_then_eval.py": [],
    # mswc (mined case 1406): an accuracy function owns its model's mode; one that sets it, or reads outputs only
    "accuracy_of_outputs_not_a_model.py": [],
    # held-out set78/bug_12 (an MLP-Mixer): a BatchNorm1d misapplied to (N, L, E) tokens keeps their layout, so the
    # next block's `norm(x.transpose(1, 2))` is the right (N, E, L); its twin's block normalises the tokens as they are
    "misplaced_batchnorm_then_transposed_block.py": [("BN203", 9), ("BN203", 13)],
    "misplaced_batchnorm_then_untransposed_block.py": [("BN203", 9), ("BN203", 13), ("BN203", 19)],
}


def test_every_reduction_has_its_expectation():
    assert {p.relative_to(DATA).as_posix() for p in DATA.rglob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reduction(name):
    found = codes_and_lines(check_code((DATA / name).read_text(), path=name, select=CORRECTNESS))
    assert sorted(found) == sorted(EXPECTED[name])


def test_a_fragile_layer_of_a_model_the_file_never_names_is_not_its_models(tmp_path, write):
    """MultiBench (mined case 700): common_models.py holds many models, one with a BatchNorm1d head; the
    training script trains a ResNet and an MLP from it: a last batch of one cannot crash that model."""
    from tests.conftest import run_cli

    write("common_models.py", """
        import torch.nn as nn

        class MLP(nn.Module):
            def __init__(self, indim, hidden, outdim):
                super().__init__()
                self.fc = nn.Linear(indim, hidden)
                self.fc2 = nn.Linear(hidden, outdim)

            def forward(self, x):
                return self.fc2(self.fc(x).relu())

        class VGGClassifier(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.fc = nn.Linear(512, 512, bias=False)
                self.bn = nn.BatchNorm1d(512)
                self.out = nn.Linear(512, n)

            def forward(self, x):
                return self.out(self.bn(self.fc(x)))
        """)
    train = """
        import torch
        import torchvision
        from torch.utils.data import DataLoader
        from common_models import {name}

        model = torch.nn.Sequential(torchvision.models.resnet18(), {name}({args}))
        optim = torch.optim.Adam(model.parameters())
        train_dataloader = DataLoader(torch.load("train.pt"), batch_size=16, shuffle=True)
        for x, y in train_dataloader:
            optim.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optim.step()
        """
    write("train.py", train.format(name="MLP", args="1000, 200, 10"))
    proc = run_cli("check", "--no-cache", "--select", "BN302", "--format", "concise", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    write("train.py", train.format(name="VGGClassifier", args="10"))  # the twin: the head it trains has one
    proc = run_cli("check", "--no-cache", "--select", "BN302", "--format", "concise", "train.py", cwd=tmp_path)
    assert b"train.py:8:20: BN302" in proc.stdout, proc.stdout


def test_a_class_of_another_file_that_freezes_again_in_train_stays_frozen(tmp_path, write):
    """yolact (transfer case 1202): `Yolact()` of another file freezes its BatchNorm in `__init__`; the fix
    overrides `train()` to freeze them again, so `net.train()` in the training script undoes nothing. The
    twin without the override is found (the miss map's 1202_yolact_imported_constructor_freezes)."""
    from tests.conftest import run_cli

    detector = """
        from torch import nn

        class Detector(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
                self.freeze_bn()
        {override}
            def freeze_bn(self):
                for layer in self.modules():
                    if isinstance(layer, nn.BatchNorm2d):
                        layer.eval()

            def forward(self, x):
                return self.body(x)
        """
    override = """
            def train(self, mode=True):
                super().train(mode)
                self.freeze_bn()
                return self
        """
    write("fit.py", """
        import torch
        from detector import Detector

        def fit(loader):
            det = Detector()
            det.train()
            opt = torch.optim.SGD(det.parameters(), lr=0.1)
            for x in loader:
                opt.zero_grad()
                det(x).sum().backward()
                opt.step()
        """)
    write("detector.py", detector.format(override=override))
    proc = run_cli("check", "--no-cache", "--select", "BN105", "--format", "concise", "fit.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    write("detector.py", detector.format(override=""))
    proc = run_cli("check", "--no-cache", "--select", "BN105", "--format", "concise", "fit.py", cwd=tmp_path)
    assert b"fit.py:6:5: BN105" in proc.stdout, proc.stdout


def test_an_export_helper_of_another_file_given_a_model_in_eval_mode(tmp_path, write):
    """kws (transfer case 1405): an export helper of another file exports what its caller gives it; a caller that
    puts the model in eval first (or trains none with BatchNorm) gives it nothing to report."""
    from tests.conftest import run_cli

    write("nets.py", """
        import torch
        import torch.nn as nn

        class Normed(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(8)

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 8)

        def to_onnx(net, name):
            torch.onnx.export(net, torch.randn(4, 8), name + ".onnx")
        """)
    write("run.py", """
        from nets import Normed, Plain, to_onnx

        def export_best():
            net = Normed()
            net.eval()
            to_onnx(net, "best")

        def export_plain():
            to_onnx(Plain(), "plain")
            head = Plain()
            to_onnx(head, "head")
        """)
    proc = run_cli("check", "--no-cache", "--select", "BN104", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_a_helper_of_another_file_running_a_model_on_synthetic_input_that_spoils_nothing(tmp_path, write):
    """head-network-distillation (transfer case 1412): another file's wrapper runs the model it is given on the
    synthetic input its caller passes. Silent when the model is in eval first, when a training step follows before
    the evaluation, when the input is data, and when the model holds no BatchNorm; the spoiled evaluation is found."""
    from tests.conftest import run_cli

    write("probes.py", """
        def wrap_layers(net, wrapper, z):
            expected = net(z)
            for name, child in net.named_children():
                setattr(net, name, wrapper(child))
            return expected
        """)
    write("nets.py", """
        import torch.nn as nn

        class Normed(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(8, 8)
        """)
    study = """
        import torch
        import torch.nn as nn
        from nets import {net}
        from probes import wrap_layers

        def score(model, loader):
            model.eval()
            with torch.no_grad():
                return [model(x).argmax(1) for x, _ in loader]

        def study(model, loader, opt, batch):
            {before}
            wrap_layers(model, nn.Identity, {probe})
            {between}
            return score(model, loader)

        def main(loader, path, opt, batch):
            model = {net}()
            model.load_state_dict(torch.load(path))
            study(model, loader, opt, batch)
        """
    plain = {"net": "Normed", "before": "pass", "probe": "torch.ones(2, 3, 32, 32)", "between": "pass"}
    for change in ({"before": "model.eval()"}, {"between": "model(batch).sum().backward(); opt.step()"},
                   {"probe": "batch"}, {"net": "Plain"}):
        write("study.py", study.format(**{**plain, **change}))
        proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
        assert proc.returncode == 0, (change, proc.stdout)
    write("study.py", study.format(**plain))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert b"study.py:13:5: BN101" in proc.stdout, proc.stdout


def test_a_builder_of_another_file_returning_none_for_an_unknown_kind(tmp_path, write):
    """head-network-distillation (transfer case 1412): ``return None`` for a kind a builder does not know gives no
    model; its other returns say what the caller gets. Silent when those give a model in eval mode, found when
    they give one in training mode."""
    from tests.conftest import run_cli

    zoo = """
        import torch.nn as nn

        class Small(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(8)

        def pick(kind):
            if kind == 'small':
                net = Small()
                {mode}
                return net
            return None
        """
    write("check.py", """
        import torch
        from zoo import pick

        def main(loader, kind):
            net = pick(kind)
            with torch.no_grad():
                for x, _ in loader:
                    print(net(x).argmax(1))
        """)
    write("zoo.py", zoo.format(mode="net.eval()"))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    write("zoo.py", zoo.format(mode="pass"))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert b"check.py:8:19: BN101" in proc.stdout, proc.stdout


def test_a_bias_before_a_batchnorm_only_some_paths_append_is_wasted_on_those():
    # held-out set79/set112: `if normalize: layers.append(BatchNorm(c))` after a biased layer; on the path that adds
    # the BatchNorm (the default) the bias is wasted; without the BatchNorm on any path, no finding
    code = """
        import torch.nn as nn


        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat))
            layers.append(nn.LeakyReLU(0.2))
            return layers
    """
    assert codes_and_lines(check_code(code, select=("BN204",))) == [("BN204", 5)]
    assert check_code(code.replace("layers.append(nn.BatchNorm1d(out_feat))", "layers.append(nn.Dropout(0.1))"),
                      select=("BN204",)) == []


def test_probe_forwards_that_spoil_nothing(tmp_path, write):
    """imgclsmob and HRNet (transfer cases 1905, 1701): a FLOP count on a zero image (`Variable(torch.zeros(...))`)
    of a model a builder loaded weights into, evaluated next on one branch, and a model summary that runs the model
    for what its forward hooks record. Silent when the builder loads no weights, when the model is in eval first,
    when training comes between, when the hooked run feeds a backward or takes gradients, when the caller puts
    the model in eval, and when the hooks are registered by another function than the one that runs it."""
    from tests.conftest import run_cli

    write("stats.py", """
        import torch
        from torch.autograd import Variable

        def measure_model(model, h, w):
            data = Variable(torch.zeros(1, 3, h, w))
            model.forward(data)
            return 0
        """)
    probe = """
        import torch
        import torch.nn as nn
        from stats import measure_model

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

            def forward(self, x):
                return self.body(x)

        def prepare_model(path):
            net = Net()
            {load}
            return nn.DataParallel(net)

        def validate(net, data):
            net.eval()
            with torch.no_grad():
                return [net(x).argmax(1) for x, _ in data]

        def main(args, data, opt):
            net = prepare_model(args.resume)
            {before}
            n = measure_model(net, 224, 224)
            {between}
            if args.evaluate:
                validate(net, data)
        """
    plain = {"load": "net.load_state_dict(torch.load(path))", "before": "pass", "between": "pass"}
    for change in ({"load": "pass"}, {"before": "net.eval()"},
                   {"between": "net(data[0]).sum().backward(); opt.step()"}):
        write("train.py", probe.format(**{**plain, **change}))
        proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
        assert proc.returncode == 0, (change, proc.stdout)
    write("train.py", probe.format(**plain))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert b"train.py:26:9: BN101" in proc.stdout, proc.stdout

    for path in ("stats.py", "train.py"):
        (tmp_path / path).unlink()
    summary = """
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten())

            def forward(self, x):
                return self.body(x)

        def register(model, shapes):
            for m in model.modules():
                m.register_forward_hook(lambda mod, i, o: shapes.append(o.shape))

        def get_model_summary(model, x, opt):
            shapes = []
            {hooks}
            {before}
            out = model(x)
            {after}
            return shapes

        def main(x, opt):
            model = Net()
            {outside}
            print(get_model_summary(model, x, opt))
        """
    hooked = {"hooks": "handle = model.register_forward_hook(lambda m, i, o: shapes.append(o.shape))",
              "before": "pass", "after": "pass", "outside": "pass"}
    for change in ({"before": "model.eval()"}, {"after": "out.sum().backward(); opt.step()"},
                   {"after": "torch.autograd.grad(out.sum(), [x])"}, {"outside": "model.eval()"},
                   {"hooks": "pass", "outside": "register(model, [])"}):
        write("summary.py", summary.format(**{**hooked, **change}))
        proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
        assert proc.returncode == 0, (change, proc.stdout)
    write("summary.py", summary.format(**hooked))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert b"summary.py:20:11: BN101" in proc.stdout, proc.stdout


@pytest.mark.parametrize("init_body, call, found", [
    # nbdt (transfer batch 10's 5302, after its fix): the class loads its weights and calls `self.eval()` in a
    # method its `__init__` runs when asked for the pretrained model
    ("if pretrained:\n                    self.init('w.pth')", "Net(pretrained=True)", False),
    ("if pretrained:\n                    self.init('w.pth')", "Net()", True),  # (the default: no weights, no eval)
    ("self.eval()", "Net()", False),
    ("pass", "Net(pretrained=True)", True),
])
def test_a_class_whose_init_puts_it_in_eval_builds_it_in_eval(write, tmp_path, init_body, call, found):
    """A module of a project class whose ``__init__`` (as the call's arguments run it, defaults included) puts it in
    eval mode is built in eval mode there; on a path that does not, it is built in training mode."""
    from tests.conftest import run_cli

    write("nets.py", f"""
        import torch
        from torch import nn


        class Net(nn.Module):
            def __init__(self, pretrained=False):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
                {init_body}

            def init(self, path):
                self.load_state_dict(torch.load(path))
                self.eval()

            def forward(self, x):
                return self.body(x)
        """)
    write("app.py", f"""
        import torch
        from nets import Net


        def inference(x):
            model = {call}
            with torch.no_grad():
                return model(x).argmax(1)
        """)
    compile((tmp_path / "nets.py").read_text(), "nets.py", "exec")
    proc = run_cli("check", "--no-cache", "--select", "BN101", "--format", "concise", "app.py", cwd=tmp_path)
    assert (b"app.py:8:16: BN101" in proc.stdout) is found, proc.stdout


def test_a_logger_of_a_plain_class_called_in_a_training_loop_is_no_model(write, tmp_path):
    """backdoorbox (transfer batch 10's 5303, before and after its fix): `log = self.log`, an instance of a plain
    class of another module (`Log(path)`, with `__call__`), called in the training loop and after an evaluation
    helper, is no module: no BN101 at `log(msg)`; the model the loop trains, run under `no_grad` after it, is."""
    from tests.conftest import run_cli

    write("pkg/__init__.py", "")
    write("pkg/log.py", """
        class Log:
            def __init__(self, path):
                self.path = path

            def __call__(self, msg):
                print(msg)
        """)
    write("pkg/train.py", """
        import torch
        import torchvision
        from .log import Log


        class Runner:
            def __init__(self, work_dir):
                self.log = Log(work_dir)

            def test(self, model, loader):
                {mode}
                with torch.no_grad():
                    return sum(model(x).argmax(1).sum() for x in loader)

            def train(self, loader, test_loader):
                log = self.log
                model = torchvision.models.resnet18()
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                for epoch in range(3):
                    model.train()
                    for x, y in loader:
                        loss = torch.nn.functional.cross_entropy(model(x), y)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        log(f"loss {loss.item()}")
                    acc = self.test(model, test_loader)
                    log(f"acc {acc}")
        """.replace("{mode}", "model.eval()"))
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    train = (tmp_path / "pkg" / "train.py").read_text().replace("        model.eval()\n", "        pass\n")
    (tmp_path / "pkg" / "train.py").write_text(train)
    proc = run_cli("check", "--no-cache", "--select", "BN1", "--format", "concise", ".", cwd=tmp_path)
    assert b"BN101" in proc.stdout and b"`log`" not in proc.stdout, proc.stdout


def test_a_teacher_run_under_no_grad_in_a_batch_helper_one_caller_trains_with():
    """manydepth (transfer batch 7's 2503, once `self.models[...]` entries were followed): `process_batch` runs the
    frozen teacher under `no_grad`, and `run_epoch` gives what it returns to `losses["loss"].backward()`: a teacher
    in a training step (RULES.md: not an evaluation), also when `val()` calls the same helper."""
    code = """
        import torch
        import torchvision


        class Trainer:
            def __init__(self, loader):
                self.loader = loader
                self.models = {"student": torchvision.models.resnet18(), "teacher": torchvision.models.resnet18()}
                self.opt = torch.optim.Adam(self.models["student"].parameters())

            def set_train(self):
                for m in self.models.values():
                    m.train()

            def set_eval(self):
                for m in self.models.values():
                    m.eval()

            def process_batch(self, x):
                with torch.no_grad():
                    target = self.models["teacher"](x)
                out = self.models["student"](x)
                return out, {"loss": (out - target).pow(2).mean()}

            def run_epoch(self):
                self.set_train()
                for x in self.loader:
                    outputs, losses = self.process_batch(x)
                    self.opt.zero_grad()
                    losses["loss"].backward()
                    self.opt.step()

            def val(self):
                self.set_eval()
                with torch.no_grad():
                    return self.process_batch(next(iter(self.loader)))
    """
    assert [f for f in codes_and_lines(check_code(code)) if f[0].startswith("BN10")] == []


@pytest.mark.parametrize("patched, found", [(True, []), (False, [("BN105", 9)])])
def test_a_train_method_the_code_replaces_on_the_instance_keeps_frozen_batchnorm_in_eval(patched, found):
    """volleyball baseline (transfer batch 11's 6800, after its fix): `model.train = train_with_frozen_bn`, a function
    that calls the original `train()` and puts the BatchNorm layers of frozen weights back in eval, replaces what
    `model.train()` does in the epoch loop: the backbone frozen by `requires_grad` is no BN105; without it, it is."""
    code = """
        import torch
        import torch.nn as nn
        import torchvision


        def main(loader):
            model = torchvision.models.resnet50()
            for param in model.parameters():
                param.requires_grad = False
            for param in model.fc.parameters():
                param.requires_grad = True
            _orig_train = model.train

            def train_with_frozen_bn(mode=True):
                _orig_train(mode)
                for m in model.modules():
                    if isinstance(m, nn.BatchNorm2d) and not m.weight.requires_grad:
                        m.eval()
                return model

            {patch}
            opt = torch.optim.SGD(model.fc.parameters(), lr=0.1)
            for epoch in range(3):
                model.train()
                for x, y in loader:
                    loss = nn.functional.cross_entropy(model(x), y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        """.replace("{patch}", "model.train = train_with_frozen_bn" if patched else "pass")
    assert codes_and_lines(check_code(code, select=("BN105",))) == found


@pytest.mark.parametrize("callee, found", [("self.G(batch)", [("BN101", 23)]), ("self._get_target_cb(batch)", [])])
def test_a_helper_run_in_a_validation_loop_runs_networks_not_callable_attributes(callee, found):
    """climategan / pytorch-pfn-extras (session 57): a loss helper called in a loop over `val_loader` runs the module
    it calls there, in the mode the loop gives it (BN101 at the helper's call when that is training mode); a callable
    attribute the helper calls (`self._get_target_cb`, given to the constructor) is no network."""
    code = """
        import torch
        import torch.nn as nn


        class Trainer:
            def __init__(self, get_target_cb, train_loader, val_loader):
                self.G = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
                self._get_target_cb = get_target_cb
                self.opt = torch.optim.SGD(self.G.parameters(), lr=0.1)
                self.train_loader, self.val_loader = train_loader, val_loader

            def get_loss(self, batch):
                return {callee}.mean()

            def train(self, epochs):
                for epoch in range(epochs):
                    self.G.train()
                    for batch in self.train_loader:
                        self.opt.zero_grad()
                        (self.G(batch).mean() + self.get_loss(batch)).backward()
                        self.opt.step()
                    for batch in self.val_loader:
                        print(self.get_loss(batch).item())
        """.replace("{callee}", callee)
    assert codes_and_lines(check_code(code, select=("BN101",))) == found



def test_a_model_module_imported_by_a_name_chosen_on_branches(tmp_path, write):
    """ct-denoising (transfer batch 16's 10140, reduced after its blind score): `set_model(opt)` imports
    `models.networks_base` or `models.networks_rev` by a name its branches choose (`import_module(module_name)`) and
    calls `make_model(opt)`; the wrapper holds a denoiser another builder of that file imports the same way. The
    first branch's module is one visible path; the twin puts the tested model in eval. A name bound in two
    functions to two modules binds neither."""
    from tests.conftest import run_cli

    write("models/__init__.py", """
        from importlib import import_module


        def set_model(opt):
            if opt.way == 'base':
                module_name = 'models.networks_base'
            elif opt.way == 'rev':
                module_name = 'models.networks_rev'
            module = import_module(module_name)
            return module.make_model(opt)


        def get_base_model(opt):
            from models.dncnn import DnCNN
            return DnCNN()
        """)
    networks = """
        import torch.nn as nn
        from models import get_base_model


        def make_model(opt):
            return Networks(opt)


        class Networks(nn.Module):
            def __init__(self, opt):
                super().__init__()
                self.denoiser = get_base_model(opt)

            def forward(self, x):
                return self.denoiser(x)
        """
    write("models/networks_base.py", networks)
    write("models/networks_rev.py", networks)
    write("models/dncnn.py", """
        import torch.nn as nn


        class DnCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 8, 3, bias=False)
                self.bn = nn.BatchNorm2d(8)

            def forward(self, x):
                return self.bn(self.conv(x))
        """)
    tester = """
        import torch
        from models import set_model


        def run_test(opt, images):
            net = set_model(opt)
            net.load_state_dict(torch.load(opt.checkpoint)){eval}
            outs = []
            for image in images:
                with torch.no_grad():
                    outs.append(net(image))
            return outs
        """
    write("tester.py", tester.format(eval=""))
    proc = run_cli("check", "--no-cache", "--select", "BN101", "--format", "concise", "tester.py", cwd=tmp_path)
    assert b"tester.py:11:25: BN101" in proc.stdout, proc.stdout
    write("tester.py", tester.format(eval="\n    net.eval()"))
    proc = run_cli("check", "--no-cache", "--select", "BN101", "--format", "concise", "tester.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("before_helper, found", [("pass", True), ("generator.eval()", False)])
def test_a_helper_of_another_file_runs_the_module_an_object_built_here_holds(tmp_path, write, before_helper, found):
    """SRGAN-PyTorch (transfer batch 17's 10330, reduced after its blind score): `Utils.show_images(trainer,
    loader)` of another file runs `trainer.generator(x)` and shows it as an image; `trainer` is this file's
    `PtTrainer(generator, loader)`, whose `__init__` stores `generator` there, so the helper runs `generator` in
    the mode it has at the call. The twin puts it in eval after building the trainer."""
    from tests.conftest import run_cli

    write("model.py", """
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm2d(3)

            def forward(self, x):
                return self.bn(x)
        """)
    write("trainer.py", """
        class PtTrainer:
            def __init__(self, generator, loader):
                self.generator = generator
                self.loader = loader
        """)
    write("utils.py", """
        import matplotlib.pyplot as plt

        class Utils:
            @staticmethod
            def show_images(trainer, loader):
                images, _ = next(iter(loader))
                out = trainer.generator(images)
                plt.imshow(out[0].permute(1, 2, 0).detach().numpy())
        """)
    write("main.py", """
        import torch
        from model import Generator
        from trainer import PtTrainer
        from utils import Utils

        def evaluate(loader):
            generator = Generator()
            generator.load_state_dict(torch.load("g.pt"))
            trainer = PtTrainer(generator, loader)
            {}
            Utils.show_images(trainer, loader)
        """.format(before_helper))
    proc = run_cli("check", "--no-cache", "--select", "BN101", "--format", "concise", ".", cwd=tmp_path)
    assert (b"utils.py:7:15: BN101" in proc.stdout) is found, proc.stdout
    assert proc.returncode == int(found) and b"BN9" not in proc.stdout, proc.stdout
