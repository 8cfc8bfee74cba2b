from pkg.data import Datasets
from pkg.trainer import Trainer


def main(args, make_dataset):
    datasets = Datasets(args, make_dataset)
    Trainer().train(args.epochs, datasets)
