import torch
from torch.utils.data import DataLoader

from pkg.factories import ModelFactory


def main(config, dataset, checkpoint):
    loader = DataLoader(dataset, batch_size=8)
    model = ModelFactory.from_config(config).to("cuda")
    model.load_state_dict(torch.load(checkpoint))
    predictions = []
    for batch in loader:
        with torch.no_grad():
            output = model(batch)
        predictions.append(output.argmax(1))
    return predictions
