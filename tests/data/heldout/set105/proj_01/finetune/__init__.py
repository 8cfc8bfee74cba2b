"""Small transfer-learning toolkit used by train.py / predict.py."""
__version__ = "0.3.1"
