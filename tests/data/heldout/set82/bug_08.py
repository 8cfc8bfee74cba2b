"""Multi-GPU training of a spectral-mask U-Net for speech enhancement (VoiceBank-DEMAND).

Launch with:
    torchrun --nproc_per_node=4 bug_08.py --data /datasets/voicebank_demand
"""
import argparse
import os

import soundfile as sf
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

N_FFT, HOP = 512, 128
SEG = 32000


class NoisyClean(Dataset):
    def __init__(self, root):
        self.noisy_dir = os.path.join(root, "noisy_trainset_28spk_wav")
        self.clean_dir = os.path.join(root, "clean_trainset_28spk_wav")
        self.names = sorted(os.listdir(self.noisy_dir))

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        noisy, _ = sf.read(os.path.join(self.noisy_dir, self.names[i]), dtype="float32")
        clean, _ = sf.read(os.path.join(self.clean_dir, self.names[i]), dtype="float32")
        noisy, clean = torch.from_numpy(noisy), torch.from_numpy(clean)
        if noisy.numel() < SEG:
            pad = SEG - noisy.numel()
            noisy, clean = F.pad(noisy, (0, pad)), F.pad(clean, (0, pad))
        start = torch.randint(0, noisy.numel() - SEG + 1, (1,)).item()
        return noisy[start:start + SEG], clean[start:start + SEG]


def down(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=(2, 1), padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def up(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, (4, 3), stride=(2, 1), padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


class MaskUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1, self.d2, self.d3 = down(1, 32), down(32, 64), down(64, 128)
        self.u3, self.u2 = up(128, 64), up(128, 32)
        self.u1 = nn.ConvTranspose2d(64, 1, (4, 3), stride=(2, 1), padding=1)

    def forward(self, mag):
        x = mag.unsqueeze(1)[:, :, :256]           # drop Nyquist bin -> 256 bins
        e1 = self.d1(x)
        e2 = self.d2(e1)
        e3 = self.d3(e2)
        y = self.u3(e3)
        y = self.u2(torch.cat([y, e2], 1))
        mask = torch.sigmoid(self.u1(torch.cat([y, e1], 1)))
        return F.pad(mask, (0, 0, 0, 1)).squeeze(1)


def stft_mag(wav, window):
    spec = torch.stft(wav, N_FFT, HOP, window=window, return_complex=True)
    return spec.abs(), spec


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=16, help="per GPU")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()

    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    dataset = NoisyClean(args.data)
    sampler = DistributedSampler(dataset, shuffle=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                        num_workers=4, pin_memory=True, drop_last=True)

    model = MaskUNet().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    window = torch.hann_window(N_FFT, device=local_rank)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for noisy, clean in loader:
            noisy, clean = noisy.cuda(local_rank, non_blocking=True), clean.cuda(local_rank, non_blocking=True)
            noisy_mag, noisy_spec = stft_mag(noisy, window)
            clean_mag, _ = stft_mag(clean, window)
            mask = model(torch.log1p(noisy_mag))
            loss = F.l1_loss(mask * noisy_mag, clean_mag)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if rank == 0:
            print(f"epoch {epoch}: l1 {loss.item():.4f}", flush=True)

    if rank == 0:
        model.module.eval  # expect: BN102
        torch.save(model.module.state_dict(), "mask_unet.pt")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
