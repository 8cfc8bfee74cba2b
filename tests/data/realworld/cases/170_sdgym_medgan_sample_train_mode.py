import numpy as np
import torch
from torch import nn
from torch.nn import BatchNorm1d, Linear, Module, Sequential
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset


class ResidualFC(Module):
    def __init__(self, input_dim, output_dim, activate, bn_decay):
        super().__init__()
        self.seq = Sequential(Linear(input_dim, output_dim), BatchNorm1d(output_dim, momentum=bn_decay), activate())

    def forward(self, input):
        return input + self.seq(input)


class Generator(Module):
    def __init__(self, random_dim, hidden_dim, bn_decay):
        super().__init__()
        dim = random_dim
        seq = [ResidualFC(dim, dim, nn.ReLU, bn_decay) for _ in list(hidden_dim)[:-1]]
        seq += [Linear(dim, dim), BatchNorm1d(dim, momentum=bn_decay), nn.ReLU()]
        self.seq = Sequential(*seq)

    def forward(self, input):
        return self.seq(input)


class MedganSynthesizer:
    def __init__(self, random_dim=128, generator_dims=(128, 128), bn_decay=0.99, batch_size=1000, epochs=2000):
        self.random_dim = random_dim
        self.generator_dims = generator_dims
        self.bn_decay = bn_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    def fit(self, data, decoder, discriminator):
        loader = DataLoader(TensorDataset(torch.from_numpy(data.astype("float32"))), batch_size=self.batch_size,
                            shuffle=True, drop_last=True)
        self.decoder = decoder.to(self.device)
        self.generator = Generator(self.random_dim, self.generator_dims, self.bn_decay).to(self.device)
        optimizerG = Adam(list(self.generator.parameters()) + list(self.decoder.parameters()))
        for i in range(self.epochs):
            for id_, data in enumerate(loader):
                noise = torch.randn(self.batch_size, self.random_dim, device=self.device)
                fake = self.decoder(self.generator(noise))
                loss_g = -(torch.log(discriminator(fake) + 1e-4).mean())
                optimizerG.zero_grad()
                loss_g.backward()
                optimizerG.step()

    def sample(self, n):
        steps = n // self.batch_size + 1
        data = []
        for i in range(steps):
            mean = torch.zeros(self.batch_size, self.random_dim)
            std = mean + 1
            noise = torch.normal(mean=mean, std=std).to(self.device)
            emb = self.generator(noise)
            fake = torch.sigmoid(self.decoder(emb))
            data.append(fake.detach().cpu().numpy())
        return np.concatenate(data, axis=0)[:n]
