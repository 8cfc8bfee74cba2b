import argparse


def get_args():
    parser = argparse.ArgumentParser(description="train a classifier")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--drop-last", action="store_true")
    return parser.parse_args()
