"""Custom TorchServe handler for the bird-call detector.

Supports both an eager checkpoint (model.py + state dict) and a TorchScript
file, selected by the extension of the serialized file in the .mar archive.
"""
import io
import json
import logging
import os

import numpy as np
import soundfile as sf
import torch
import torch.nn as nn
import torchaudio
from ts.torch_handler.base_handler import BaseHandler

logger = logging.getLogger(__name__)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return torch.nn.functional.avg_pool2d(x, 2)


class Cnn6(nn.Module):
    """PANNs-style CNN6 on log-mel spectrograms."""

    def __init__(self, n_mels=64, classes_num=264):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(n_mels)
        self.block1 = ConvBlock(1, 64)
        self.block2 = ConvBlock(64, 128)
        self.block3 = ConvBlock(128, 256)
        self.block4 = ConvBlock(256, 512)
        self.fc1 = nn.Linear(512, 512)
        self.fc_out = nn.Linear(512, classes_num)

    def forward(self, x):
        # x: (batch, 1, time, mel) -> normalise each mel bin, as in PANNs
        x = x.transpose(1, 3)
        x = self.bn0(x)
        x = x.transpose(1, 3)
        x = self.block4(self.block3(self.block2(self.block1(x))))
        x = torch.mean(x, dim=3)
        x = torch.amax(x, dim=2) + torch.mean(x, dim=2)
        x = torch.relu(self.fc1(x))
        return torch.sigmoid(self.fc_out(x))


class BirdCallHandler(BaseHandler):
    SAMPLE_RATE = 32000

    def initialize(self, context):
        props = context.system_properties
        model_dir = props.get("model_dir")
        gpu_id = props.get("gpu_id")
        self.device = torch.device(f"cuda:{gpu_id}" if torch.cuda.is_available() and gpu_id is not None else "cpu")
        serialized = context.manifest["model"]["serializedFile"]
        path = os.path.join(model_dir, serialized)
        if serialized.endswith(".ts"):
            self.model = torch.jit.load(path, map_location=self.device)
        else:
            self.model = Cnn6()
            self.model.load_state_dict(torch.load(path, map_location=self.device))
            self.model.to(self.device)
        self.model.eval()
        with open(os.path.join(model_dir, "species.json")) as fh:
            self.species = json.load(fh)
        self.melspec = torchaudio.transforms.MelSpectrogram(self.SAMPLE_RATE, n_fft=1024, hop_length=320, n_mels=64).to(self.device)
        self.initialized = True
        logger.info("BirdCallHandler ready on %s (%d species)", self.device, len(self.species))

    def preprocess(self, data):
        clips = []
        for row in data:
            audio, sr = sf.read(io.BytesIO(row.get("data") or row.get("body")), dtype="float32")
            wav = torch.from_numpy(np.atleast_2d(audio.T)).mean(0)
            if sr != self.SAMPLE_RATE:
                wav = torchaudio.functional.resample(wav, sr, self.SAMPLE_RATE)
            clips.append(wav[: self.SAMPLE_RATE * 5])
        wav = torch.nn.utils.rnn.pad_sequence(clips, batch_first=True).to(self.device)
        mel = torch.log(self.melspec(wav) + 1e-6)   # (batch, mel, time)
        return mel.transpose(1, 2).unsqueeze(1)     # (batch, 1, time, mel)

    def inference(self, data, *args, **kwargs):
        with torch.no_grad():
            return self.model(data)

    def postprocess(self, data):
        out = []
        for row in data.cpu():
            top = torch.topk(row, 5)
            out.append({self.species[i]: round(float(p), 4) for p, i in zip(top.values, top.indices.tolist())})
        return out
