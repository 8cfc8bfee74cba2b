import os

import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader

from txt2image_dataset import Text2ImageDataset


class generator(nn.Module):
    def __init__(self):
        super(generator, self).__init__()
        self.noise_dim = 100
        self.embed_dim = 1024
        self.projected_embed_dim = 128
        self.latent_dim = self.noise_dim + self.projected_embed_dim
        self.ngf = 64
        self.projection = nn.Sequential(
            nn.Linear(in_features=self.embed_dim, out_features=self.projected_embed_dim),
            nn.BatchNorm1d(num_features=self.projected_embed_dim),
            nn.LeakyReLU(negative_slope=0.2, inplace=True),
        )
        self.netG = nn.Sequential(
            nn.ConvTranspose2d(self.latent_dim, self.ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(self.ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(self.ngf * 8, self.ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(self.ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(self.ngf * 4, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, embed_vector, z):
        projected_embed = self.projection(embed_vector).unsqueeze(2).unsqueeze(3)
        latent_vector = torch.cat([projected_embed, z], 1)
        return self.netG(latent_vector)


class gan_factory(object):
    @staticmethod
    def generator_factory(type):
        if type == 'gan':
            return generator()


class Trainer(object):
    def __init__(self, type, dataset_path, split, save_path, pre_trained_gen, batch_size, num_workers):
        self.generator = torch.nn.DataParallel(gan_factory.generator_factory(type).cuda())
        if pre_trained_gen:
            self.generator.load_state_dict(torch.load(pre_trained_gen))
        self.dataset = Text2ImageDataset(dataset_path, split=split)
        self.data_loader = DataLoader(self.dataset, batch_size=batch_size, shuffle=True,
                                      num_workers=num_workers)
        self.save_path = save_path

    def predict(self):
        for sample in self.data_loader:
            right_images = sample['right_images']
            right_embed = sample['right_embed']
            txt = sample['txt']
            if not os.path.exists('results/{0}'.format(self.save_path)):
                os.makedirs('results/{0}'.format(self.save_path))
            right_embed = right_embed.float().cuda()
            noise = torch.randn(right_images.size(0), 100).cuda()
            noise = noise.view(noise.size(0), 100, 1, 1)
            fake_images = self.generator(right_embed, noise)
            for image, t in zip(fake_images, txt):
                im = Image.fromarray(image.data.mul_(127.5).add_(127.5).byte().permute(1, 2, 0).cpu().numpy())
                im.save('results/{0}/{1}.jpg'.format(self.save_path, t.replace("/", "")[:100]))


if __name__ == '__main__':
    trainer = Trainer(type='gan', dataset_path='flowers.hdf5', split=2, save_path='flowers',
                      pre_trained_gen='checkpoints/gen_190.pth', batch_size=64, num_workers=8)
    trainer.predict()
