"""Environmental sound classification on log-mel spectrograms (ESC-50 style).

Input clips are converted to log-mel spectrograms of shape (1, N_MELS, frames)
by the feature extractor below; the network is a small 2D CNN over
(frequency, time) followed by a temporal 1D convolution.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

SAMPLE_RATE = 22050
N_MELS = 64
N_FFT = 1024
HOP = 512
N_CLASSES = 50


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
        self.to_db = torchaudio.transforms.AmplitudeToDB(top_db=80)

    def forward(self, wav):
        return self.to_db(self.mel(wav)).unsqueeze(1)


class SpecCNN(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(32),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool2d((2, 1)),
        )
        self.temporal = nn.Conv1d(128, 256, kernel_size=3, padding=1, bias=False)
        self.temporal_bn = nn.BatchNorm1d(256)
        self.fc = nn.Linear(256, 256, bias=False)
        self.fc_bn = nn.BatchNorm1d(128)  # expect: BN201
        self.drop = nn.Dropout(0.4)
        self.classifier = nn.Linear(256, n_classes)

    def forward(self, spec):
        x = self.features(spec)
        x = x.mean(dim=2)
        x = F.relu(self.temporal_bn(self.temporal(x)))
        x = x.amax(dim=-1)
        x = F.relu(self.fc_bn(self.fc(x)))
        return self.classifier(self.drop(x))


def random_clips(batch, seconds=5):
    wav = torch.randn(batch, SAMPLE_RATE * seconds) * 0.1
    labels = torch.randint(0, N_CLASSES, (batch,))
    return wav, labels


def train(model, frontend, optimizer, steps, batch_size, device):
    model.train()
    for step in range(steps):
        wav, labels = random_clips(batch_size)
        with torch.no_grad():
            spec = frontend(wav.to(device))
        spec = (spec - spec.mean()) / (spec.std() + 1e-5)
        loss = F.cross_entropy(model(spec), labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f}")


def evaluate(model, frontend, batches, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for _ in range(batches):
            wav, labels = random_clips(32)
            spec = frontend(wav.to(device))
            spec = (spec - spec.mean()) / (spec.std() + 1e-5)
            correct += (model(spec).argmax(1).cpu() == labels).sum().item()
    return correct / (batches * 32)


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    frontend = LogMel().to(device)
    model = SpecCNN().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    for epoch in range(20):
        train(model, frontend, opt, steps=100, batch_size=32, device=device)
        print(f"epoch {epoch} acc {evaluate(model, frontend, 10, device):.3f}")
