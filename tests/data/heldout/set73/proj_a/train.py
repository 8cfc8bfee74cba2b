"""Train the texture GAN.  Usage: python train.py --data textures64.pt"""
import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from export import export_generator
from models import NZ, build_models, count_parameters
from sampling import discriminator_accuracy, r1_penalty, latent_walk, save_samples


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/textures64.pt")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--sample-every", type=int, default=1_000)
    p.add_argument("--r1-every", type=int, default=16)
    p.add_argument("--out", type=Path, default=Path("runs/texgan"))
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    images = torch.load(args.data)
    held_out = images[:64].to(device)
    loader = DataLoader(TensorDataset(images[64:]), batch_size=args.batch_size, shuffle=True,
                        drop_last=True, num_workers=4)

    models = build_models(device)
    print(count_parameters(models))
    opt_g = torch.optim.Adam(models["gen"].parameters(), lr=2e-4, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(models["disc"].parameters(), lr=2e-4, betas=(0.0, 0.99))
    fixed_z = torch.randn(64, NZ, device=device)

    step = 0
    models["gen"].train()
    models["disc"].train()
    while step < args.steps:
        for (real,) in loader:
            real = real.to(device)
            z = torch.randn(real.size(0), NZ, device=device)

            fake = models["gen"](z)
            loss_d = (F.softplus(models["disc"](fake.detach())).mean()
                      + F.softplus(-models["disc"](real)).mean())
            if step % args.r1_every == 0:
                loss_d = loss_d + r1_penalty(models["disc"], real) * args.r1_every
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

            loss_g = F.softplus(-models["disc"](fake)).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            step += 1

            if step % args.sample_every == 0:
                save_samples(models, fixed_z, args.out / "samples", step)
                latent_walk(models, args.out / "samples", step)
                acc = discriminator_accuracy(models, held_out, fixed_z)
                print(f"step {step}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f} "
                      f"D acc {acc:.3f}")
                torch.save({k: m.state_dict() for k, m in models.items()}, args.out / "ckpt.pt")
            if step >= args.steps:
                break

    export_generator(models["gen"], args.out / "generator.onnx")


if __name__ == "__main__":
    main()
