import torch
import torch.nn as nn


class ConvBNRelu(nn.Module):
    def __init__(self, channels_in, channels_out, stride=1):
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, stride, padding=1),
                                    nn.BatchNorm2d(channels_out), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.layers(x)


class Hidden:
    def __init__(self, config, device):
        self.encoder_decoder = nn.Sequential(ConvBNRelu(3, 64), ConvBNRelu(64, 3)).to(device)
        self.optimizer_enc_dec = torch.optim.Adam(self.encoder_decoder.parameters())
        self.mse_loss = nn.MSELoss().to(device)

    def train_on_batch(self, batch):
        images, messages = batch
        self.encoder_decoder.train()
        with torch.enable_grad():
            self.optimizer_enc_dec.zero_grad()
            encoded_images = self.encoder_decoder(images)
            loss = self.mse_loss(encoded_images, images)
            loss.backward()
            self.optimizer_enc_dec.step()
        return loss.item()

    def validate_on_batch(self, batch):
        images, messages = batch
        self.encoder_decoder.eval()
        with torch.no_grad():
            encoded_images = self.encoder_decoder(images)
            loss = self.mse_loss(encoded_images, images)
        return loss.item()


def train(model, train_data, val_data, epochs):
    for epoch in range(epochs):
        for batch in train_data:
            model.train_on_batch(batch)
        for batch in val_data:
            model.validate_on_batch(batch)
