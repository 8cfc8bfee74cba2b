"""BirdCLEF 2021 -- SED model: torchaudio log-mel frontend + timm EfficientNet encoder
+ attention head (clipwise / framewise), mixup, 5-fold training script.
"""
import argparse
import os
import random

import numpy as np
import pandas as pd
import soundfile as sf
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader, Dataset

SR = 32000
PERIOD = 5
N_MELS = 128
NUM_CLASSES = 397


def seed_everything(seed=71):
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


def init_layer(layer):
    nn.init.xavier_uniform_(layer.weight)
    if getattr(layer, "bias", None) is not None:
        layer.bias.data.fill_(0.0)


def init_bn(bn):
    bn.bias.data.fill_(0.0)
    bn.weight.data.fill_(1.0)


class AttBlockV2(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.att = nn.Conv1d(in_features, out_features, kernel_size=1, bias=True)
        self.cla = nn.Conv1d(in_features, out_features, kernel_size=1, bias=True)
        init_layer(self.att)
        init_layer(self.cla)

    def forward(self, x):
        norm_att = torch.softmax(torch.tanh(self.att(x)), dim=-1)
        cla = torch.sigmoid(self.cla(x))
        return torch.sum(norm_att * cla, dim=2), norm_att, cla


class TimmSED(nn.Module):
    def __init__(self, base_model_name="tf_efficientnet_b0_ns", pretrained=True, num_classes=NUM_CLASSES, in_chans=1):
        super().__init__()
        self.melspec = torchaudio.transforms.MelSpectrogram(sample_rate=SR, n_fft=2048, win_length=2048, hop_length=512, f_min=50, f_max=14000, n_mels=N_MELS)
        self.to_db = torchaudio.transforms.AmplitudeToDB(top_db=80)
        # bn0 normalises each mel bin: the (B, 1, T, M) image is transposed so that
        # the mel axis sits on dim 1 before the BatchNorm2d and put back afterwards.
        self.bn0 = nn.BatchNorm2d(N_MELS)
        self.encoder = timm.create_model(base_model_name, pretrained=pretrained, in_chans=in_chans, num_classes=0, global_pool="")
        in_features = self.encoder.num_features
        self.fc1 = nn.Linear(in_features, in_features, bias=True)
        self.att_block = AttBlockV2(in_features, num_classes)
        init_bn(self.bn0)
        init_layer(self.fc1)

    def forward(self, wave):
        x = self.to_db(self.melspec(wave))          # (B, M, T)
        x = x.unsqueeze(1).transpose(2, 3)          # (B, 1, T, M)
        x = x.transpose(1, 3)                       # (B, M, T, 1)
        x = self.bn0(x)
        x = x.transpose(1, 3)                       # (B, 1, T, M)
        x = x.transpose(2, 3)                       # (B, 1, M, T)
        x = self.encoder(x)                         # (B, C, M', T')
        x = torch.mean(x, dim=2)                    # (B, C, T')
        x = F.max_pool1d(x, 3, 1, 1) + F.avg_pool1d(x, 3, 1, 1)
        x = F.dropout(x, p=0.5, training=self.training)
        x = F.relu_(self.fc1(x.transpose(1, 2))).transpose(1, 2)
        x = F.dropout(x, p=0.5, training=self.training)
        clipwise, _, segmentwise = self.att_block(x)
        return {"clipwise_output": clipwise, "framewise_output": segmentwise.transpose(1, 2)}


class WaveDataset(Dataset):
    def __init__(self, df, audio_dir, train=True):
        self.df = df.reset_index(drop=True)
        self.audio_dir = audio_dir
        self.train = train

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        wav, _ = sf.read(os.path.join(self.audio_dir, row.primary_label, row.filename))
        n = SR * PERIOD
        if len(wav) < n:
            wav = np.pad(wav, (0, n - len(wav)))
        start = np.random.randint(len(wav) - n + 1) if self.train else 0
        y = np.zeros(NUM_CLASSES, dtype=np.float32)
        y[row.label_id] = 1.0
        return torch.tensor(wav[start:start + n], dtype=torch.float32), torch.from_numpy(y)


def mixup(x, y, alpha=0.4):
    lam = np.random.beta(alpha, alpha)
    idx = torch.randperm(x.size(0), device=x.device)
    return lam * x + (1 - lam) * x[idx], lam * y + (1 - lam) * y[idx]


def train_fn(model, loader, optimizer, scheduler, scaler, device):
    model.train()
    losses = []
    for wave, target in loader:
        wave, target = wave.to(device), target.to(device)
        wave, target = mixup(wave, target)
        with torch.cuda.amp.autocast():
            out = model(wave)
            loss = F.binary_cross_entropy(out["clipwise_output"].clamp(1e-7, 1 - 1e-7), target)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def valid_fn(model, loader, device, threshold=0.3):
    model.eval()
    preds, targets = [], []
    with torch.no_grad():
        for wave, target in loader:
            out = model(wave.to(device))
            preds.append(out["clipwise_output"].cpu().numpy())
            targets.append(target.numpy())
    preds = np.concatenate(preds) > threshold
    return f1_score(np.concatenate(targets), preds, average="micro")


@torch.inference_mode()
def predict_soundscape(model, waves, device):
    model.eval()
    return model(waves.to(device))["framewise_output"].cpu().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--data", default="../input/birdclef-2021")
    args = ap.parse_args()
    seed_everything()
    device = "cuda"

    df = pd.read_csv(os.path.join(args.data, "train_folds.csv"))
    audio_dir = os.path.join(args.data, "train_short_audio")
    trn_dl = DataLoader(WaveDataset(df[df.fold != args.fold], audio_dir), batch_size=args.bs, shuffle=True, num_workers=8, drop_last=True)
    val_dl = DataLoader(WaveDataset(df[df.fold == args.fold], audio_dir, train=False), batch_size=args.bs, shuffle=False, num_workers=8)

    model = TimmSED().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(trn_dl), eta_min=1e-6)
    scaler = torch.cuda.amp.GradScaler()

    best = 0.0
    for epoch in range(args.epochs):
        loss = train_fn(model, trn_dl, optimizer, scheduler, scaler, device)
        f1 = valid_fn(model, val_dl, device)
        print(f"epoch {epoch} loss {loss:.5f} f1@0.3 {f1:.4f}")
        if f1 > best:
            best = f1
            torch.save(model.state_dict(), f"sed_b0_fold{args.fold}.pth")

    model.load_state_dict(torch.load(f"sed_b0_fold{args.fold}.pth"))
    clip = torch.randn(2, SR * PERIOD)
    print(predict_soundscape(model, clip, device).shape)


if __name__ == "__main__":
    seed_everything()
    main()
