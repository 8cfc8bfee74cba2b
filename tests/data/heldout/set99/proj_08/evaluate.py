"""Evaluate a trained surrogate on fresh initial conditions and at other
diffusivities (out-of-distribution study, Table 3)."""
import argparse

import torch

from datasets import heat_solution, make_grid, sine_basis
from engine import forward_model
from models import build_model
from utils import relative_l2


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--model', default='resmlp')
    p.add_argument('--n-modes', type=int, default=8)
    p.add_argument('--grid-size', type=int, default=128)
    p.add_argument('--width', type=int, default=256)
    p.add_argument('--depth', type=int, default=6)
    p.add_argument('--n-test', type=int, default=5000)
    p.add_argument('--nus', type=float, nargs='+', default=[0.005, 0.01, 0.02])
    args = p.parse_args()

    ckpt = torch.load(args.checkpoint, map_location='cpu')
    model = build_model(args.model, in_dim=args.n_modes, out_dim=args.grid_size, width=args.width,
                        depth=args.depth, n_sensors=args.grid_size)
    model.load_state_dict(ckpt['model'])
    model.eval()
    mean, std = ckpt['norm_stats']['mean'], ckpt['norm_stats']['std']

    grid = make_grid(args.grid_size)
    basis = sine_basis(args.n_modes, grid)
    theta = torch.rand(args.n_test, args.n_modes, generator=torch.Generator().manual_seed(123))
    with torch.no_grad():
        pred = forward_model(model, args.model, theta, basis, grid) * std + mean
    for nu in args.nus:
        target = heat_solution(theta, grid, nu=nu)
        print('nu={:.3f}: rel-L2 {:.4f}'.format(nu, relative_l2(pred, target).item()))


if __name__ == '__main__':
    main()
