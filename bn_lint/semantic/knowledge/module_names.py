"""What says a value is a network (an ``nn.Module``) where its class is unknown: its name, or how code uses it.

An evaluation function given ``model`` or ``self.backbone`` runs a network; one given ``func``, ``trigger``
or ``self.eval_hook`` runs some callable. Used where nothing else tells (RULES.md, Evidence: a model
passed as a parameter).
"""
from __future__ import annotations

import re

# the words of a name (``netG``, ``feature_extractor``, ``self.student_model``) that name a network
MODULE_WORDS = frozenset({
    "model", "models", "net", "nets", "network", "networks", "module", "encoder", "decoder", "backbone",
    "classifier", "generator", "discriminator", "extractor", "detector", "segmentor", "segmenter", "cnn", "student",
    "teacher", "critic", "autoencoder", "ae", "vae", "vqvae", "gan", "unet", "resnet", "densenet", "mobilenet", "efficientnet",
    "vgg", "regressor", "head", "body", "trunk", "stem", "predictor", "embedder", "featurizer", "tower", "clf", "mdl",
})
# words that make a name a data or helper object (``data_generator``, ``prompt_generator``, ``mask_decoder_fn``)
NOT_MODULE_WORDS = frozenset({
    "data", "dataset", "batch", "sample", "samples", "sampler", "prompt", "noise", "random", "label", "labels", "mask",
    "token", "tokens", "text", "loader", "image", "img", "fn", "func", "function", "hook", "callback", "metric",
    "score", "entry", "point", "handler", "process", "processor", "postprocessor", "trigger", "transform", "step",
})
# words that make a name a maker of modules, whatever else it says (``model_class``, ``net_builder``): calling it
# builds one, it is no network itself
MAKER_WORDS = frozenset({"class", "cls", "builder", "factory", "constructor", "ctor"})
# words that, last in a name, make it a value about a network, whatever else it says (``model_path``, ``model_name``,
# ``net_cfg``, ``model_weights``), or a method of a settings object (pydantic's ``config.model_validate``): no network
DESCRIBING_WORDS = frozenset({
    "path", "paths", "file", "filename", "dir", "folder", "name", "names", "config", "cfg", "conf", "url", "id", "type",
    "args", "kwargs", "params", "version", "ckpt", "checkpoint", "weights", "state", "dict", "size", "dim",
    "validate", "dump", "construct", "fields", "schema",
})
# the uses of ``x`` that only a module answers (its parameters, its device, its state)
_MODULE_USE = r"\s*\.\s*(?:parameters|named_parameters|modules|named_modules|children|state_dict|load_state_dict|to|cuda|cpu|eval|train|zero_grad|half|float|apply)\s*\("
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def named_as_module(key: str) -> bool:
    """Whether the last part of ``key`` (``model``, ``self.netG``, ``feature_extractor``) names a network."""
    words = _words(key)
    return not named_as_other(key) and any(w in MODULE_WORDS or (len(w) > 3 and w.endswith("net")) for w in words)


def named_as_other(key: str) -> bool:
    """Whether the last part of ``key`` names a data or helper object (``data_generator``, ``self.eval_hook``,
    ``self._entry_point``), a maker of modules (``model_class``, ``net_builder``) or a value about one
    (``model_path``, ``model_name``), not a network."""
    words = _words(key)
    if words and (words[-1] in MAKER_WORDS or len(words) > 1 and words[-1] in DESCRIBING_WORDS):
        return True
    return any(w in NOT_MODULE_WORDS for w in words) and not {"model", "net", "network"} & set(words)


def _words(key: str) -> list[str]:
    name = key.rpartition(".")[2].strip("_")
    return [w.lower() for part in name.split("_") for w in _WORD.findall(part)]


def used_as_module(key: str, code: str) -> bool:
    """Whether ``code`` calls on ``key`` a method only a module has (``next(model.parameters())``,
    ``net.to(device)``)."""
    return re.search(r"(?<![\w.])" + re.escape(key) + _MODULE_USE, code) is not None
