import torch
import torchvision
import torch.nn as nn
from torch.autograd import Variable
import matplotlib.pyplot as plt

cuda = torch.cuda.is_available()
FloatTensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor

transform = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                            torchvision.transforms.Normalize((0.1307,), (0.3081,))])
mnist = torchvision.datasets.MNIST(root='../data/', train=True, transform=transform, download=True)
batch = 200
data_loader = torch.utils.data.DataLoader(mnist, batch_size=batch, shuffle=True, drop_last=True)

z_dim = 3


class Encoder(nn.Module):
    def __init__(self, z_dim):
        super(Encoder, self).__init__()
        self.encoder_top = nn.Sequential(
            nn.Conv2d(1, 64, 3, padding=1), nn.PReLU(64), nn.BatchNorm2d(64), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3), nn.PReLU(64), nn.BatchNorm2d(64), nn.MaxPool2d(2),
            nn.Conv2d(64, 8, 3), nn.ReLU(), nn.BatchNorm2d(8))
        self.encoder_bottom = nn.Sequential(
            nn.Linear(8 * 4 * 4, 128), nn.ReLU(), nn.Linear(128, z_dim))

    def forward(self, x):
        x = self.encoder_top(x)
        x = x.view(x.size(0), -1)
        return self.encoder_bottom(x)


class Decoder(nn.Module):
    def __init__(self, z_dim):
        super(Decoder, self).__init__()
        self.decoder_top = nn.Sequential(
            nn.Linear(z_dim, 128), nn.ReLU(), nn.BatchNorm1d(128),
            nn.Linear(128, 8 * 4 * 4), nn.ReLU(), nn.BatchNorm1d(8 * 4 * 4))
        self.decoder_bottom = nn.Sequential(
            nn.Conv2d(8, 64, 3, padding=2), nn.UpsamplingNearest2d(scale_factor=2), nn.PReLU(64), nn.BatchNorm2d(64),
            nn.Conv2d(64, 64, 3, padding=2), nn.PReLU(64), nn.UpsamplingNearest2d(scale_factor=2),
            nn.Conv2d(64, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, x):
        x = self.decoder_top(x)
        x = x.view(x.size(0), 8, 4, 4)
        return self.decoder_bottom(x)


discriminator = nn.Sequential(
    nn.Linear(z_dim, 128), nn.PReLU(128), nn.BatchNorm1d(128),
    nn.Linear(128, 32), nn.PReLU(32), nn.Linear(32, 1), nn.Sigmoid()).type(FloatTensor)
encoder = Encoder(z_dim).type(FloatTensor)
decoder = Decoder(z_dim).type(FloatTensor)
autoencoder = nn.Sequential(encoder, decoder).type(FloatTensor)

criterion = nn.BCELoss()
optimizer_ae = torch.optim.Adam(params=autoencoder.parameters(), lr=0.001)
optimizer_d = torch.optim.Adam(params=discriminator.parameters(), lr=0.005)
optimizer_g = torch.optim.Adam(params=encoder.parameters(), lr=0.001)

for i in range(10):
    for j, (images, _) in enumerate(data_loader):
        images = Variable(images).type(FloatTensor)
        ones = Variable(torch.ones(images.size(0))).type(FloatTensor)
        zeros = Variable(torch.zeros(images.size(0))).type(FloatTensor)

        # Autoencoder step
        autoencoder.zero_grad()
        reconstructions = autoencoder(images)
        loss_ae = torch.dist(images, reconstructions) / reconstructions.size(0)
        loss_ae.backward()
        optimizer_ae.step()

        # Discriminator step
        discriminator.zero_grad()
        z_fake = encoder(images.detach())
        z_real = Variable(torch.randn(z_fake.size())).type(FloatTensor)
        loss_d = criterion(discriminator(z_real), ones) + criterion(discriminator(z_fake), zeros)
        loss_d.backward()
        optimizer_d.step()

        # Generator (encoder) step
        encoder.zero_grad()
        loss_g = criterion(discriminator(encoder(images)), ones)
        loss_g.backward()
        optimizer_g.step()

# Visualise the latent code of the training images
n_samples = 10000
data_loader.batch_size = n_samples
images, labels = next(data_loader.__iter__())
images = Variable(images)
code = encoder(images.type(FloatTensor))

ax = plt.figure().add_subplot(projection='3d')
ax.scatter(*zip(*code.data.cpu().numpy()[:, :3]), c=labels.numpy())
