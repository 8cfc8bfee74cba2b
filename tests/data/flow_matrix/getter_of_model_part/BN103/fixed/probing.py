import torch


def linear_probe(encoder, loader):
    encoder.eval()
    feats = []
    with torch.no_grad():
        for x, _ in loader:
            feats.append(encoder(x))
    return torch.cat(feats)
