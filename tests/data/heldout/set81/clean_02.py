import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F


N_MELS = 40
HIDDEN = 64


@contextlib.contextmanager
def evaluating(net):
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)


class ConvBlock1d(nn.Module):
    def __init__(self, cin, cout, k=5, dilation=1):
        super().__init__()
        pad = (k - 1) // 2 * dilation
        self.conv = nn.Conv1d(cin, cout, k, padding=pad, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):
        return F.gelu(self.bn(self.conv(x)))


class KeywordSpotter(nn.Module):
    def __init__(self, n_mels=N_MELS, hidden=HIDDEN, n_keywords=12):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_mels, affine=False)
        blocks = []
        cin = n_mels
        for d in (1, 2, 4, 8):
            blocks.append(ConvBlock1d(cin, hidden, dilation=d))
            cin = hidden
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(hidden, n_keywords)

    def forward(self, mel):
        x = self.input_norm(mel)
        x = self.body(x)
        x = x.mean(dim=-1)
        return self.head(x)


def log_mel(wave, n_mels=N_MELS):
    spec = torch.stft(wave, n_fft=400, hop_length=160, window=torch.hann_window(400),
                      return_complex=True).abs() ** 2
    fb = torch.rand(n_mels, spec.shape[1])
    return torch.log1p(fb @ spec)


def train_step(model, opt, waves, labels):
    mel = log_mel(waves)
    loss = F.cross_entropy(model(mel), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def main():
    model = KeywordSpotter()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    for step in range(100):
        waves = torch.randn(32, 16000)
        labels = torch.randint(0, 12, (32,))
        loss = train_step(model, opt, waves, labels)
        if step % 25 == 0:
            with evaluating(model), torch.no_grad():
                clip = torch.randn(1, 16000)
                probs = model(log_mel(clip)).softmax(-1)
                print(step, loss, probs.argmax(-1).item())


if __name__ == "__main__":
    main()
