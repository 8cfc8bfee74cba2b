import argparse

import torch
import torch.nn as nn
import torchvision


class EncoderImageFull(nn.Module):
    def __init__(self, embed_size, cnn_type="resnet152", finetune=False):
        super().__init__()
        self.cnn = getattr(torchvision.models, cnn_type)(pretrained=True)
        for param in self.cnn.parameters():
            param.requires_grad = finetune
        self.fc = nn.Linear(self.cnn.fc.in_features, embed_size)
        self.cnn.fc = nn.Sequential()

    def forward(self, images):
        return self.fc(self.cnn(images))


class VSE(object):
    def __init__(self, opt):
        self.img_enc = EncoderImageFull(opt.embed_size, opt.cnn_type, opt.finetune)
        self.txt_enc = nn.GRU(opt.word_dim, opt.embed_size, batch_first=True)
        params = list(self.txt_enc.parameters()) + list(self.img_enc.fc.parameters())
        self.optimizer = torch.optim.Adam(params, lr=opt.learning_rate)
        self.Eiters = 0

    def train_start(self):
        self.img_enc.train()
        self.txt_enc.train()

    def val_start(self):
        self.img_enc.eval()
        self.txt_enc.eval()

    def train_emb(self, images, captions, lengths):
        self.Eiters += 1
        img_emb = self.img_enc(images)
        cap_emb, _ = self.txt_enc(captions)
        loss = -(img_emb * cap_emb[:, -1]).sum()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def encode_data(model, data_loader):
    model.val_start()
    embs = []
    with torch.no_grad():
        for images, captions, lengths in data_loader:
            embs.append(model.img_enc(images))
    return torch.cat(embs)


def train(opt, train_loader, model, epoch, val_loader):
    # switch to train mode
    model.train_start()
    for i, train_data in enumerate(train_loader):
        model.train_emb(*train_data)
        # validate at every val_step
        if model.Eiters % opt.val_step == 0:
            validate(opt, val_loader, model)


def validate(opt, val_loader, model):
    img_embs = encode_data(model, val_loader)
    return img_embs.norm(dim=1).mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--val_step", default=500, type=int)
    parser.add_argument("--cnn_type", default="resnet152")
    parser.add_argument("--finetune", action="store_true")
    opt = parser.parse_args()
    model = VSE(opt)
    for epoch in range(opt.num_epochs):
        train(opt, opt.train_loader, model, epoch, opt.val_loader)
        validate(opt, opt.val_loader, model)
