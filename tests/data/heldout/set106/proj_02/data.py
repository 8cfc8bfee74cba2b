import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset


class CSVWindows(Dataset):
    def __init__(self, path, seq_len, pred_len, split, train_frac=0.7, val_frac=0.1):
        values = pd.read_csv(path).iloc[:, 1:].to_numpy(np.float32)
        n = len(values)
        n_train, n_val = int(n * train_frac), int(n * val_frac)
        bounds = {
            "train": (0, n_train),
            "val": (n_train - seq_len, n_train + n_val),
            "test": (n_train + n_val - seq_len, n),
        }[split]
        mean, std = values[:n_train].mean(0), values[:n_train].std(0) + 1e-5
        self.values = torch.from_numpy((values[bounds[0]:bounds[1]] - mean) / std)
        self.seq_len, self.pred_len = seq_len, pred_len
        self.n_channels = values.shape[1]

    def __len__(self):
        return len(self.values) - self.seq_len - self.pred_len + 1

    def __getitem__(self, i):
        j = i + self.seq_len
        return self.values[i:j], self.values[j:j + self.pred_len]
