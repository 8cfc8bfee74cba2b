"""Support code for the CIFAR-10 mini-project (course week 6)."""
__version__ = "0.3.0"
