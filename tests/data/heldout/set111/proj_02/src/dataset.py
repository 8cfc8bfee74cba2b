import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

NUM_COLS = ["R_norm", "C_norm", "u_in", "u_out", "u_in_cumsum", "u_in_lag1", "u_in_lag2", "u_in_diff1", "time_step"]


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["R_norm"] = df["R"] / 50.0
    df["C_norm"] = df["C"] / 50.0
    df["rc"] = (df["R"].map({5: 0, 20: 1, 50: 2}) * 3 + df["C"].map({10: 0, 20: 1, 50: 2})).astype(int)
    g = df.groupby("breath_id")["u_in"]
    df["u_in_cumsum"] = g.cumsum()
    df["u_in_lag1"] = g.shift(1).fillna(0)
    df["u_in_lag2"] = g.shift(2).fillna(0)
    df["u_in_diff1"] = df["u_in"] - df["u_in_lag1"]
    return df


class BreathDataset(Dataset):
    def __init__(self, df: pd.DataFrame, seq_len: int = 80, with_target: bool = True):
        n = df["breath_id"].nunique()
        self.x = df[NUM_COLS].values.astype(np.float32).reshape(n, seq_len, -1)
        self.rc = df["rc"].values.astype(np.int64).reshape(n, seq_len)
        self.u_out = df["u_out"].values.astype(np.float32).reshape(n, seq_len)
        self.y = df["pressure"].values.astype(np.float32).reshape(n, seq_len) if with_target else None

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        item = {"x": torch.from_numpy(self.x[i]), "rc": torch.from_numpy(self.rc[i]), "u_out": torch.from_numpy(self.u_out[i])}
        if self.y is not None:
            item["y"] = torch.from_numpy(self.y[i])
        return item
