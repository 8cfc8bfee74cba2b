import importlib
import torch

from task.pose import do_test


def init():
    task = importlib.import_module('task.pose')
    config = task.__config__
    task.make_network(config)
    return config


def test(images):
    config = init()
    config["inference"]["net"].eval()
    results = []
    for img in images:
        out = do_test({'imgs': img}, config)
        results.append(out)
    return results
