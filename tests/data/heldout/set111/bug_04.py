"""BirdCLEF 2023 - PANNs-style SED model (CNN14-lite) trained from scratch on
log-mel spectrograms, attention (SED) head with clipwise + framewise outputs.
"""
import argparse
import os
import random

import librosa
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import average_precision_score
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm


class CFG:
    sample_rate = 32000
    duration = 5
    n_mels = 128
    n_fft = 2048
    hop_length = 512
    fmin = 50
    fmax = 14000
    num_classes = 264
    epochs = 30
    batch_size = 48
    lr = 1e-3
    seed = 42
    n_folds = 5
    data_dir = "../input/birdclef-2023"


def seed_everything(seed):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def init_layer(layer):
    nn.init.xavier_uniform_(layer.weight)
    if hasattr(layer, "bias") and layer.bias is not None:
        layer.bias.data.fill_(0.0)


def init_bn(bn):
    bn.bias.data.fill_(0.0)
    bn.weight.data.fill_(1.0)


class ConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels, 0.1)  # expect: BN206
        self.bn2 = nn.BatchNorm2d(out_channels)
        init_layer(self.conv1)
        init_layer(self.conv2)
        init_bn(self.bn1)
        init_bn(self.bn2)

    def forward(self, x, pool_size=(2, 2)):
        x = F.relu_(self.bn1(self.conv1(x)))
        x = F.relu_(self.bn2(self.conv2(x)))
        x = F.avg_pool2d(x, kernel_size=pool_size)
        return x


class AttBlockV2(nn.Module):
    def __init__(self, in_features, out_features, activation="sigmoid"):
        super().__init__()
        self.activation = activation
        self.att = nn.Conv1d(in_features, out_features, kernel_size=1, stride=1, padding=0, bias=True)
        self.cla = nn.Conv1d(in_features, out_features, kernel_size=1, stride=1, padding=0, bias=True)
        init_layer(self.att)
        init_layer(self.cla)

    def nonlinear_transform(self, x):
        return torch.sigmoid(x) if self.activation == "sigmoid" else x

    def forward(self, x):
        # x: (n_samples, n_in, n_time)
        norm_att = torch.softmax(torch.tanh(self.att(x)), dim=-1)
        cla = self.nonlinear_transform(self.cla(x))
        x = torch.sum(norm_att * cla, dim=2)
        return x, norm_att, cla


class SEDNet(nn.Module):
    def __init__(self, n_mels=CFG.n_mels, num_classes=CFG.num_classes):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(n_mels)
        self.conv_block1 = ConvBlock(1, 64)
        self.conv_block2 = ConvBlock(64, 128)
        self.conv_block3 = ConvBlock(128, 256)
        self.conv_block4 = ConvBlock(256, 512)
        self.fc1 = nn.Linear(512, 512, bias=True)
        self.att_block = AttBlockV2(512, num_classes)
        init_bn(self.bn0)
        init_layer(self.fc1)

    def forward(self, x):
        # x: (batch, 1, time, mel)
        x = x.transpose(1, 3)
        x = self.bn0(x)
        x = x.transpose(1, 3)
        x = self.conv_block1(x, pool_size=(2, 2))
        x = F.dropout(x, p=0.2, training=self.training)
        x = self.conv_block2(x, pool_size=(2, 2))
        x = F.dropout(x, p=0.2, training=self.training)
        x = self.conv_block3(x, pool_size=(2, 2))
        x = F.dropout(x, p=0.2, training=self.training)
        x = self.conv_block4(x, pool_size=(1, 1))
        x = torch.mean(x, dim=3)
        x1 = F.max_pool1d(x, kernel_size=3, stride=1, padding=1)
        x2 = F.avg_pool1d(x, kernel_size=3, stride=1, padding=1)
        x = x1 + x2
        x = F.dropout(x, p=0.5, training=self.training)
        x = x.transpose(1, 2)
        x = F.relu_(self.fc1(x))
        x = x.transpose(1, 2)
        x = F.dropout(x, p=0.5, training=self.training)
        clipwise, norm_att, segmentwise = self.att_block(x)
        return {"clipwise_output": clipwise, "framewise_output": segmentwise.transpose(1, 2)}


class BirdDataset(Dataset):
    def __init__(self, df, train=True):
        self.paths = df["filepath"].values
        self.labels = df["target"].values
        self.train = train
        self.n_samples = CFG.sample_rate * CFG.duration

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        wav, _ = librosa.load(self.paths[idx], sr=CFG.sample_rate, mono=True)
        if len(wav) < self.n_samples:
            wav = np.pad(wav, (0, self.n_samples - len(wav)))
        start = random.randint(0, len(wav) - self.n_samples) if self.train else 0
        wav = wav[start:start + self.n_samples]
        mel = librosa.feature.melspectrogram(
            y=wav, sr=CFG.sample_rate, n_fft=CFG.n_fft, hop_length=CFG.hop_length,
            n_mels=CFG.n_mels, fmin=CFG.fmin, fmax=CFG.fmax,
        )
        mel = librosa.power_to_db(mel).astype(np.float32).T  # (time, mel)
        target = np.zeros(CFG.num_classes, dtype=np.float32)
        target[self.labels[idx]] = 1.0
        return torch.from_numpy(mel)[None], torch.from_numpy(target)


def padded_cmap(y_true, y_pred, padding_factor=5):
    pad = np.ones((padding_factor, y_true.shape[1]))
    y_true = np.concatenate([y_true, pad])
    y_pred = np.concatenate([y_pred, pad])
    return average_precision_score(y_true, y_pred, average="macro")


def valid_one_epoch(model, loader, device):
    model.eval()
    preds, targets = [], []
    with torch.no_grad():
        for mel, target in tqdm(loader, leave=False):
            out = model(mel.to(device))["clipwise_output"]
            preds.append(out.cpu().numpy())
            targets.append(target.numpy())
    return padded_cmap(np.concatenate(targets), np.concatenate(preds))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fold", type=int, default=0)
    args = parser.parse_args()
    seed_everything(CFG.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    df = pd.read_csv(f"{CFG.data_dir}/train_folds.csv")
    train_df = df[df.fold != args.fold].reset_index(drop=True)
    valid_df = df[df.fold == args.fold].reset_index(drop=True)
    train_loader = DataLoader(BirdDataset(train_df, train=True), batch_size=CFG.batch_size, shuffle=True, num_workers=4, drop_last=True)
    valid_loader = DataLoader(BirdDataset(valid_df, train=False), batch_size=CFG.batch_size * 2, shuffle=False, num_workers=4)

    model = SEDNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.epochs * len(train_loader))
    criterion = nn.BCELoss()

    best = 0.0
    model.train()
    for epoch in range(CFG.epochs):
        running = 0.0
        for step, (mel, target) in enumerate(tqdm(train_loader, leave=False)):
            mel, target = mel.to(device), target.to(device)
            out = model(mel)["clipwise_output"]
            loss = criterion(out.clamp(1e-6, 1 - 1e-6), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item()

        score = valid_one_epoch(model, valid_loader, device)  # expect: BN103
        print(f"epoch {epoch}: loss {running / len(train_loader):.4f} cmAP {score:.4f}")
        if score > best:
            best = score
            torch.save(model.state_dict(), f"sed_fold{args.fold}.pth")


if __name__ == "__main__":
    main()
