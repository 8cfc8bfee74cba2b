import argparse
import pickle

import numpy as np
import torch
import torch.nn as nn
from scipy import linalg

from metric.inception import InceptionV3
from model import Discriminator, StyledGenerator


@torch.no_grad()
def compute_acts(images, inception, batch_size=50):
    acts = []
    for i in range(0, images.size(0), batch_size):
        batch = images[i:i + batch_size].cuda()
        acts.append(inception(batch)[0].view(batch.size(0), -1).cpu().numpy())
    return np.concatenate(acts)


def compute_fid(real_acts, fake_acts):
    mu1, mu2 = real_acts.mean(0), fake_acts.mean(0)
    s1, s2 = np.cov(real_acts, rowvar=False), np.cov(fake_acts, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    return ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)


def finetune(args, dataset, generator, discriminator, g_running, inception, real_acts):
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.0, 0.99))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(0.0, 0.99))
    for i in range(args.phase):
        real_image = next(dataset).cuda()
        fake_image = generator(torch.randn(real_image.size(0), 512).cuda())
        d_loss = nn.functional.softplus(discriminator(fake_image.detach())).mean() + \
            nn.functional.softplus(-discriminator(real_image)).mean()
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        g_loss = nn.functional.softplus(-discriminator(fake_image)).mean()
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
        if (i + 1) % args.eval_every == 0:
            with torch.no_grad():
                images = g_running(torch.randn(args.n_sample, 512).cuda()).cpu()
            fake_acts = compute_acts(images, inception)
            print("iter {} FID {:.2f}".format(i + 1, compute_fid(real_acts, fake_acts)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="Dog")
    parser.add_argument("--phase", type=int, default=50000)
    parser.add_argument("--eval_every", type=int, default=1000)
    parser.add_argument("--n_sample", type=int, default=5000)
    parser.add_argument("--lr", type=float, default=0.002)
    args = parser.parse_args()
    generator = nn.DataParallel(StyledGenerator(512)).cuda()
    g_running = StyledGenerator(512).cuda()
    g_running.train(False)
    discriminator = nn.DataParallel(Discriminator()).cuda()
    inception = nn.DataParallel(InceptionV3()).cuda()
    with open(f"./dataset/{args.dataset}_acts.pickle", "rb") as handle:
        real_acts = pickle.load(handle)
    finetune(args, iter(torch.load(args.dataset + ".pt")), generator, discriminator, g_running, inception, real_acts)
