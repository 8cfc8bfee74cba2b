from collections import namedtuple

Settings = namedtuple("Settings", ["momentum", "eps"])


def defaults():
    return Settings(momentum=0.99, eps=1e-3)
