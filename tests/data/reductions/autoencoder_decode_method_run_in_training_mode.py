import torch
import torch.nn as nn


class VQVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = nn.Sequential(nn.ConvTranspose2d(8, 3, 4), nn.BatchNorm2d(3))

    def decode(self, code):
        return self.decoder(code)


class PixelCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Conv2d(8, 8, 1)

    def generate(self, C):
        return self.net(torch.randn(C.size(0), 8, 4, 4))


def runExperiment():
    ae = VQVAE()
    model = PixelCNN()
    test(ae, model)


def test(ae, model):
    with torch.no_grad():
        model.train(False)
        generated = []
        for C in torch.split(torch.arange(100), 10):
            code = model.generate(C)
            generated.append(ae.decode(code))
        torch.save(torch.cat(generated), 'generated.pt')


if __name__ == "__main__":
    runExperiment()
