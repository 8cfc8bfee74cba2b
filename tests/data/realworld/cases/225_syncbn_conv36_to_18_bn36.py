import torch.nn as nn

from sync_batchnorm import SynchronizedBatchNorm2d, patch_replication_callback


class OffsetHead(nn.Module):
    def __init__(self, num_points=18):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(num_points * 2, num_points, kernel_size=3, padding=1, bias=True),
            SynchronizedBatchNorm2d(num_points * 2),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


def build(device_ids=(0, 1)):
    net = OffsetHead()
    net = nn.DataParallel(net, device_ids=list(device_ids))
    patch_replication_callback(net)
    return net.cuda()
