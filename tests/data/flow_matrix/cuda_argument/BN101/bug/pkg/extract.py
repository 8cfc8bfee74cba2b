import h5py
import torch
import torchvision


def predict_features_(*, model, ds, outpath):
    dl = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=False)
    feats = []
    for batch in dl:
        feats.append(model(batch.type_as(next(model.parameters()))).half().cpu().detach())
    with h5py.File(outpath, 'w') as f:
        f['feats'] = torch.concat(feats).numpy()

