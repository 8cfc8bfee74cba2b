import numpy as np
import torch
from torch import optim
from torch.nn import BatchNorm1d, Dropout, LeakyReLU, Linear, Module, ReLU, Sequential, functional

from ctgan.data_sampler import DataSampler
from ctgan.data_transformer import DataTransformer


class Residual(Module):
    def __init__(self, i, o):
        super(Residual, self).__init__()
        self.fc = Linear(i, o)
        self.bn = BatchNorm1d(o)
        self.relu = ReLU()

    def forward(self, input_):
        out = self.relu(self.bn(self.fc(input_)))
        return torch.cat([out, input_], dim=1)


class Generator(Module):
    def __init__(self, embedding_dim, generator_dim, data_dim):
        super(Generator, self).__init__()
        dim = embedding_dim
        seq = []
        for item in list(generator_dim):
            seq += [Residual(dim, item)]
            dim += item
        seq.append(Linear(dim, data_dim))
        self.seq = Sequential(*seq)

    def forward(self, input_):
        return self.seq(input_)


class Discriminator(Module):
    def __init__(self, input_dim, discriminator_dim, pac=10):
        super(Discriminator, self).__init__()
        dim = input_dim * pac
        self.pacdim = dim
        seq = []
        for item in list(discriminator_dim):
            seq += [Linear(dim, item), LeakyReLU(0.2), Dropout(0.5)]
            dim = item
        self.seq = Sequential(*seq, Linear(dim, 1))

    def forward(self, input_):
        return self.seq(input_.view(-1, self.pacdim))


class CTGAN(object):
    def __init__(self, embedding_dim=128, generator_dim=(256, 256), discriminator_dim=(256, 256),
                 batch_size=500, epochs=300, pac=10):
        self._embedding_dim = embedding_dim
        self._generator_dim = generator_dim
        self._discriminator_dim = discriminator_dim
        self._batch_size = batch_size
        self._epochs = epochs
        self.pac = pac
        self._device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
        self._generator = None

    def _apply_activate(self, data):
        return torch.tanh(data)

    def fit(self, train_data, discrete_columns=()):
        self._transformer = DataTransformer()
        self._transformer.fit(train_data, discrete_columns)
        train_data = self._transformer.transform(train_data)
        self._data_sampler = DataSampler(train_data, self._transformer.output_info_list, True)
        data_dim = self._transformer.output_dimensions
        self._generator = Generator(
            self._embedding_dim + self._data_sampler.dim_cond_vec(), self._generator_dim, data_dim
        ).to(self._device)
        discriminator = Discriminator(
            data_dim + self._data_sampler.dim_cond_vec(), self._discriminator_dim, pac=self.pac
        ).to(self._device)
        optimizerG = optim.Adam(self._generator.parameters(), lr=2e-4, betas=(0.5, 0.9))
        mean = torch.zeros(self._batch_size, self._embedding_dim, device=self._device)
        std = mean + 1
        for i in range(self._epochs):
            for id_ in range(max(len(train_data) // self._batch_size, 1)):
                fakez = torch.normal(mean=mean, std=std)
                c1, m1, col, opt = self._data_sampler.sample_condvec(self._batch_size)
                c1 = torch.from_numpy(c1).to(self._device)
                fakez = torch.cat([fakez, c1], dim=1)
                fake = self._generator(fakez)
                fakeact = self._apply_activate(fake)
                y_fake = discriminator(torch.cat([fakeact, c1], dim=1))
                loss_g = -torch.mean(y_fake)
                optimizerG.zero_grad(set_to_none=False)
                loss_g.backward()
                optimizerG.step()

    def sample(self, n, condition_column=None, condition_value=None):
        """Sample data similar to the training data."""
        steps = n // self._batch_size + 1
        data = []
        for i in range(steps):
            mean = torch.zeros(self._batch_size, self._embedding_dim)
            std = mean + 1
            fakez = torch.normal(mean=mean, std=std).to(self._device)
            condvec = self._data_sampler.sample_original_condvec(self._batch_size)
            c1 = torch.from_numpy(condvec).to(self._device)
            fakez = torch.cat([fakez, c1], dim=1)
            fake = self._generator(fakez)
            fakeact = self._apply_activate(fake)
            data.append(fakeact.detach().cpu().numpy())
        data = np.concatenate(data, axis=0)[:n]
        return self._transformer.inverse_transform(data)


if __name__ == '__main__':
    import pandas as pd
    real_data = pd.read_csv('adult.csv')
    ctgan = CTGAN(epochs=10)
    ctgan.fit(real_data, ['workclass', 'education'])
    synthetic_data = ctgan.sample(1000)
