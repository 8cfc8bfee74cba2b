"""Config handling: YAML file on disk, merged over a few defaults."""
import argparse
import copy

import yaml

DEFAULTS = {
    "data": {"root": "data/TN3K", "image_size": 320, "num_workers": 6},
    "model": {"base": 32, "deep_supervision": False},
    "optim": {"lr": 3e-4, "weight_decay": 1e-4, "epochs": 150},
    "out_dir": "outputs/attunet_tn3k",
}


def _merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v
    return a


def get_config():
    ap = argparse.ArgumentParser()
    ap.add_argument("config", help="experiment YAML, must define train.batch_size")
    ap.add_argument("--resume", default=None)
    args = ap.parse_args()
    with open(args.config) as f:
        user = yaml.safe_load(f)
    cfg = _merge(copy.deepcopy(DEFAULTS), user)
    cfg["resume"] = args.resume
    return cfg
