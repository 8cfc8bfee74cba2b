from argparse import ArgumentParser

import torch
from lightning import pytorch as pl

from chemprop import data, featurizers, nn
from chemprop.models import MPNN


def build_model(args, train_dset):
    if args.model_frzn is not None:
        model = MPNN.load_from_file(args.model_frzn)
        model.message_passing.apply(lambda module: module.requires_grad_(False))
        model.message_passing.apply(
            lambda m: setattr(m, "p", 0.0) if isinstance(m, torch.nn.Dropout) else None
        )
        model.bn.apply(lambda module: module.requires_grad_(False))
        for idx in range(args.frzn_ffn_layers):
            model.predictor.ffn[idx].requires_grad_(False)
        return model
    mp = nn.BondMessagePassing()
    return MPNN(mp, nn.MeanAggregation(), nn.RegressionFFN(), batch_norm=True)


def main(args):
    featurizer = featurizers.SimpleMoleculeMolGraphFeaturizer()
    train_dset = data.MoleculeDataset(data.load_datapoints(args.data_path), featurizer)
    val_dset = data.MoleculeDataset(data.load_datapoints(args.val_path), featurizer)
    train_loader = data.build_dataloader(train_dset, batch_size=args.batch_size)
    val_loader = data.build_dataloader(val_dset, batch_size=args.batch_size, shuffle=False)
    model = build_model(args, train_dset)
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator="auto")
    trainer.fit(model, train_loader, val_loader)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("--data-path", dest="data_path")
    parser.add_argument("--val-path", dest="val_path")
    parser.add_argument("--model-frzn", dest="model_frzn", default=None)
    parser.add_argument("--frzn-ffn-layers", dest="frzn_ffn_layers", type=int, default=0)
    parser.add_argument("--batch-size", dest="batch_size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=50)
    main(parser.parse_args())
