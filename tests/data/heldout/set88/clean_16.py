# Human-activity recognition with a "BatchNorm Transformer" (TST-style).
#
# From a thread asking whether BatchNorm1d can replace LayerNorm in a
# batch_first transformer. Accepted answer: yes, but you must move d_model to
# dim 1 first (or flatten tokens to (N*L, E)); this is the working version.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_VARS = 6
SEQ_LEN = 128
D_MODEL = 64
N_CLASSES = 6


class TokenBatchNorm(nn.Module):
    """BatchNorm over d_model for (N, L, E) tensors."""

    def __init__(self, d_model):
        super().__init__()
        self.bn = nn.BatchNorm1d(d_model)

    def forward(self, x):                      # (N, L, E)
        return self.bn(x.permute(0, 2, 1)).permute(0, 2, 1)


class HARTransformer(nn.Module):
    def __init__(self, n_vars=N_VARS, d_model=D_MODEL, n_heads=4, n_layers=3, n_classes=N_CLASSES):
        super().__init__()
        self.inp = nn.Linear(n_vars, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.norm = TokenBatchNorm(d_model)
        self.flat_bn = nn.BatchNorm1d(d_model)
        # SimCLR-style projection head: last BN without affine parameters
        self.proj = nn.Sequential(
            nn.Linear(d_model, 128),
            nn.BatchNorm1d(128, affine=False),
        )
        self.cls = nn.Linear(d_model, n_classes)

    def forward(self, x, return_proj=False):   # x: (N, L, n_vars)
        if self.training:
            x = x + 0.01 * torch.randn_like(x)  # jitter augmentation
        h = self.encoder(self.inp(x))          # (N, L, E)
        h = self.norm(h)
        n, l, e = h.shape
        h = self.flat_bn(h.reshape(n * l, e)).reshape(n, l, e)
        pooled = h.mean(dim=1)
        if return_proj:
            return self.proj(pooled)
        return self.cls(pooled)


@torch.inference_mode()
def predict_stream(model, windows):
    """Classify windows one at a time, as they arrive from the sensor."""
    model.train(False)
    preds = []
    for (w,) in DataLoader(TensorDataset(windows), batch_size=1):
        preds.append(model(w).argmax(-1).item())
    return preds


if __name__ == "__main__":
    X = torch.randn(3000, SEQ_LEN, N_VARS)
    y = torch.randint(0, N_CLASSES, (3000,))
    train_dl = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)

    model = HARTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    for epoch in range(15):
        model.train()
        for xb, yb in train_dl:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, round(loss.item(), 4))

    print(predict_stream(model, torch.randn(10, SEQ_LEN, N_VARS)))

    model.train(mode=False)
    torch.onnx.export(model, torch.randn(1, SEQ_LEN, N_VARS), "har.onnx", opset_version=17)
