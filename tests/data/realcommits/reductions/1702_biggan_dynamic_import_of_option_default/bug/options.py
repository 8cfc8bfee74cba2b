import argparse


def prepare_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=str, default="nets", help="the module that defines the networks")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--G_eval_mode", action="store_true")
    return parser
