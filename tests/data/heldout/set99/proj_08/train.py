"""Train neural surrogates of the parametric heat equation, code for
"How Much Data Does a PDE Surrogate Need? A Controlled Study".

    python train.py --model resmlp --n-train 10001 --run-dir runs/resmlp_10k
"""
import argparse
import os
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from datasets import heat_solution, make_grid, normalise, sine_basis
from engine import train_one_epoch, validate
from models import build_model
from utils import dump_json, make_logger, save_checkpoint, seed_all


def parse_args():
    parser = argparse.ArgumentParser(description='Heat-equation surrogate training')
    # problem
    parser.add_argument('--n-modes', type=int, default=8, help='sine modes in u0 (input dim)')
    parser.add_argument('--grid-size', type=int, default=128)
    parser.add_argument('--nu', type=float, default=0.01, help='diffusivity')
    parser.add_argument('--t-final', type=float, default=1.0)
    # data budget (Fig. 2 sweeps n-train; 10^4 + 1 includes the zero field)
    parser.add_argument('--n-train', type=int, default=10001)
    parser.add_argument('--n-val', type=int, default=2000)
    # model
    parser.add_argument('--model', default='resmlp', choices=['resmlp', 'cnn1d', 'deeponet'])
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--depth', type=int, default=6)
    parser.add_argument('--dropout', type=float, default=0.0)
    # optimisation
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--epochs', type=int, default=500)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--weight-decay', type=float, default=1e-5)
    parser.add_argument('--clip', type=float, default=1.0)
    parser.add_argument('--scheduler', default='cosine', choices=['cosine', 'plateau', 'none'])
    # bookkeeping
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--val-every', type=int, default=5)
    parser.add_argument('--run-dir', default='runs/debug')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return parser.parse_args()


def main():
    args = parse_args()
    seed_all(args.seed)
    logger = make_logger(args.run_dir)
    dump_json(vars(args), os.path.join(args.run_dir, 'args.json'))
    device = torch.device(args.device)

    grid = make_grid(args.grid_size)
    basis = sine_basis(args.n_modes, grid)

    # exact solutions for random initial conditions
    g = torch.Generator().manual_seed(args.seed)
    theta_train = torch.rand(args.n_train, args.n_modes, generator=g)
    theta_val = torch.rand(args.n_val, args.n_modes, generator=g)
    u_train = heat_solution(theta_train, grid, args.nu, args.t_final)
    u_val = heat_solution(theta_val, grid, args.nu, args.t_final)
    (u_train_n, u_val_n), (u_mean, u_std) = normalise(u_train, u_val)

    train_set = TensorDataset(theta_train, u_train_n)
    val_set = TensorDataset(theta_val, u_val_n)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=0)  # expect: BN302
    val_loader = DataLoader(val_set, batch_size=1000, shuffle=False)
    logger.info('train %d samples, %d steps/epoch', len(train_set), len(train_loader))

    model = build_model(args.model, in_dim=args.n_modes, out_dim=args.grid_size, width=args.width,
                        depth=args.depth, dropout=args.dropout, n_sensors=args.grid_size,
                        grid_size=args.grid_size).to(device)
    logger.info('%s: %d parameters', args.model, sum(p.numel() for p in model.parameters()))

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    if args.scheduler == 'cosine':
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    elif args.scheduler == 'plateau':
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=20)
    else:
        scheduler = None

    basis_d, grid_d, u_std_d = basis.to(device), grid.to(device), u_std.to(device)
    best_val, history = float('inf'), []
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        train_mse = train_one_epoch(model, args.model, train_loader, optimizer, basis_d, grid_d,
                                    device, clip=args.clip)
        record = {'epoch': epoch, 'train_mse': train_mse}
        if epoch % args.val_every == 0 or epoch == args.epochs:
            val = validate(model, args.model, val_loader, basis_d, grid_d, device,
                           target_std=u_std_d)
            record.update({'val_' + k: v for k, v in val.items()})
            logger.info('epoch %4d  train %.3e  val mse %.3e  rel-L2 %.4f  (%.0fs)', epoch,
                        train_mse, val['mse'], val['rel_l2'], time.time() - t0)
            if val['rel_l2'] < best_val:
                best_val = val['rel_l2']
                save_checkpoint(os.path.join(args.run_dir, 'best.pt'), model, optimizer, epoch,
                                best_val, {'mean': u_mean, 'std': u_std})
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(val['mse'])
        if scheduler is not None and not isinstance(scheduler,
                                                    torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step()
        history.append(record)

    dump_json(history, os.path.join(args.run_dir, 'history.json'))
    logger.info('best val rel-L2 %.4f', best_val)


if __name__ == '__main__':
    main()
