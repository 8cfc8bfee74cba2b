"""Pre-tokenised review tensors saved with torch.save({'tokens': LongTensor[N, L], ...})."""
import os

import torch
from torch.utils.data import Dataset

import configs as C


class TokenizedReviews(Dataset):
    def __init__(self, filename, with_labels=True):
        blob = torch.load(os.path.join(C.DATA_DIR, filename))
        self.tokens = blob["tokens"][:, : C.MAX_LEN]
        self.labels = blob.get("labels") if with_labels else None
        self.tags = blob.get("tags") if with_labels else None

    def __len__(self):
        return self.tokens.shape[0]

    def __getitem__(self, i):
        if self.labels is None:
            return self.tokens[i]
        tags = self.tags[i, : C.MAX_LEN] if self.tags is not None else torch.full((C.MAX_LEN,), -100)
        return self.tokens[i], self.labels[i], tags


def token_dropout(tokens, p=C.TOKEN_DROP, unk_id=1):
    """Randomly replace non-pad tokens by <unk> (student-side augmentation)."""
    drop = (torch.rand_like(tokens, dtype=torch.float) < p) & (tokens != C.PAD_ID)
    return tokens.masked_fill(drop, unk_id)


def infinite(loader):
    while True:
        for batch in loader:
            yield batch
