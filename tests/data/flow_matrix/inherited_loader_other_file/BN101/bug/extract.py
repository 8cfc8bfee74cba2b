import numpy as np
import torch

from frontend import WaveFe


def extract(ckpt, wavs_list):
    model = WaveFe()
    model.load_pretrained(ckpt)
    for index, wavs in enumerate(wavs_list):
        features = model(torch.as_tensor(wavs).unsqueeze(1))
        np.save(f"feats_{index}.npy", features.detach().cpu().numpy())
