"""Library functions that read a module they are given (its configuration, its parameters, its weights) and never
run it or switch its mode.

timm's inference recipe reads the preprocessing config from the model (``config = resolve_data_config({},
model=model)``); its optimizer factories read the parameters (``create_optimizer_v2(model, "adamw")``); parameter
counters read the sizes. A model given to one of these is in the mode it had before.
"""
from __future__ import annotations

MODEL_READERS = frozenset({
    # timm: the data config a model was trained with (`model.pretrained_cfg`)
    "timm.data.resolve_data_config", "timm.data.resolve_model_data_config",
    "timm.data.config.resolve_data_config", "timm.data.config.resolve_model_data_config",
    # timm: optimizers built from a model's parameters, its state dict without wrappers
    "timm.optim.create_optimizer", "timm.optim.create_optimizer_v2",
    "timm.optim.optim_factory.create_optimizer", "timm.optim.optim_factory.create_optimizer_v2",
    "timm.utils.get_state_dict", "timm.utils.model.get_state_dict",
    # parameter counters
    "fvcore.nn.parameter_count", "fvcore.nn.parameter_count_table",
    "torch.nn.utils.parameters_to_vector",
})
