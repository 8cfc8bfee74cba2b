import torch
import torch.nn as nn
import torchvision


class Config:
    result_save_path = "results/"
    g_net_path = "snapshots/gnet.pth"
    batch_size = 256
    noise_dim = 100
    feats_channel = 64


class Gnet(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.feats = opt.feats_channel
        self.generate = nn.Sequential(
            nn.ConvTranspose2d(opt.noise_dim, self.feats * 8, kernel_size=4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(self.feats * 8),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(self.feats * 8, self.feats * 4, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(self.feats * 4),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(self.feats * 4, 3, kernel_size=5, stride=3, padding=1, bias=False),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.generate(x)


device = "cuda" if torch.cuda.is_available() else "cpu"

opt = Config()
g_net = Gnet(opt)
g_net = g_net.to(device)

ckpt = "snapshots/gnet.pth"
ckpt_dict = torch.load(ckpt)
g_net.load_state_dict(ckpt_dict)

input_noise = torch.randn(opt.batch_size, opt.noise_dim, 1, 1).to(device)
out_img = g_net(input_noise)

torchvision.utils.save_image(out_img.data, "%s/inference.png" % opt.result_save_path, normalize=True)
