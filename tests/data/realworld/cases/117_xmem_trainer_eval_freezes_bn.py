import torch
import torch.nn as nn
import torch.optim as optim
import torchvision


class XMem(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.key_encoder = nn.Sequential(*list(torchvision.models.resnet50(pretrained=True).children())[:-3])
        self.value_encoder = nn.Sequential(*list(torchvision.models.resnet18(pretrained=True).children())[:-3])
        self.decoder = nn.Conv2d(1024 + 256, 1, 3, padding=1)

    def forward(self, frames, masks):
        k = self.key_encoder(frames)
        v = self.value_encoder(frames * masks)
        v = nn.functional.interpolate(v, size=k.shape[-2:])
        return self.decoder(torch.cat([k, v], 1))


class XMemTrainer:
    def __init__(self, config, local_rank=0):
        self.config = config
        self.XMem = nn.parallel.DistributedDataParallel(XMem(config).cuda(), device_ids=[local_rank],
                                                        output_device=local_rank, broadcast_buffers=False)
        self.train()
        self.optimizer = optim.AdamW(filter(lambda p: p.requires_grad, self.XMem.parameters()),
                                     lr=config["lr"], weight_decay=config["weight_decay"])

    def do_pass(self, data, it=0):
        torch.set_grad_enabled(self._is_train)
        logits = self.XMem(data["rgb"].cuda(), data["first_frame_gt"].cuda())
        loss = nn.functional.binary_cross_entropy_with_logits(logits, data["cls_gt"].cuda())
        if self._is_train:
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return loss

    def train(self):
        self._is_train = True
        self._do_log = True
        # keep BatchNorm frozen during training, following STM
        self.XMem.eval()
        return self

    def val(self):
        self._is_train = False
        self._do_log = True
        self.XMem.eval()
        return self


def main(config, train_loader):
    model = XMemTrainer(config).train()
    total_iter = 0
    while total_iter < config["iterations"]:
        for data in train_loader:
            model.do_pass(data, total_iter)
            total_iter += 1
