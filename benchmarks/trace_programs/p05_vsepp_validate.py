# Modelled on: https://github.com/fartashf/vsepp/issues/4 ("Finish validation without running model.train()":
# validate() every val_step iterations calls model.val_start(); model.train_start() only runs at the start of
# the next epoch, so the rest of the epoch trains the encoders in eval mode).
# Bug: BN103.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class EncoderImage(nn.Module):
    def __init__(self, embed_size=32):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                 nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(32, embed_size)

    def forward(self, images):
        return nn.functional.normalize(self.fc(self.cnn(images)), dim=1)


class EncoderText(nn.Module):
    def __init__(self, vocab_size=50, embed_size=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 16)
        self.rnn = nn.GRU(16, embed_size, batch_first=True)

    def forward(self, captions):
        _, h = self.rnn(self.embed(captions))
        return nn.functional.normalize(h[-1], dim=1)


class VSE:
    def __init__(self):
        self.img_enc = EncoderImage()
        self.txt_enc = EncoderText()
        params = list(self.txt_enc.parameters()) + list(self.img_enc.parameters())
        self.optimizer = torch.optim.Adam(params, lr=2e-4)
        self.Eiters = 0

    def train_start(self):
        self.img_enc.train()
        self.txt_enc.train()

    def val_start(self):
        self.img_enc.eval()
        self.txt_enc.eval()

    def forward_emb(self, images, captions):
        return self.img_enc(images), self.txt_enc(captions)

    def train_emb(self, images, captions):
        self.Eiters += 1
        img_emb, cap_emb = self.forward_emb(images, captions)
        scores = img_emb @ cap_emb.t()
        diagonal = scores.diag().view(-1, 1)
        loss = (0.2 + scores - diagonal).clamp(min=0).sum() - 0.2 * len(scores)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def validate(val_loader, model):
    model.val_start()
    with torch.no_grad():
        for images, captions in val_loader:
            model.forward_emb(images, captions)


def train(opt, train_loader, model, epoch, val_loader):
    model.train_start()
    for images, captions in train_loader:
        model.train_emb(images, captions)
        if model.Eiters % opt.val_step == 0:
            validate(val_loader, model)
        if model.Eiters >= opt.steps:
            return


if __name__ == "__main__":
    opt = parse()
    opt.val_step = 8
    data = TensorDataset(torch.randn(96, 3, 16, 16), torch.randint(0, 50, (96, 7)))
    val = TensorDataset(torch.randn(32, 3, 16, 16), torch.randint(0, 50, (32, 7)))
    model = VSE()
    with Clock():
        for epoch in range(100):
            train(opt, DataLoader(data, batch_size=16, shuffle=True), model, epoch, DataLoader(val, batch_size=16))
            if model.Eiters >= opt.steps:
                break
