import torch
from models.tacotron import Tacotron
from utils.checkpoints import restore_checkpoint


def create_gta_features(model, loader):
    for x in loader:
        with torch.no_grad():
            y = model(x)
        print(y)


if __name__ == '__main__':
    model = Tacotron()
    restore_checkpoint(model)
    create_gta_features(model, [])
