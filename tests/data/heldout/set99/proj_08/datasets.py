"""Parametric 1-D heat equation u_t = nu * u_xx on [0, 1] with Dirichlet
boundaries. The initial condition is a random sine series

    u0(x) = sum_k theta_k sin(k pi x),

so the exact solution at time T is available in closed form:

    u(x, T) = sum_k theta_k exp(-nu k^2 pi^2 T) sin(k pi x).
"""
import math

import torch


def make_grid(grid_size):
    return torch.linspace(0.0, 1.0, grid_size)


def sine_basis(n_modes, grid):
    k = torch.arange(1, n_modes + 1, dtype=grid.dtype).unsqueeze(1)  # (K, 1)
    return torch.sin(k * math.pi * grid.unsqueeze(0))  # (K, S)


def heat_solution(theta, grid, nu=0.01, t_final=1.0):
    n_modes = theta.shape[1]
    k = torch.arange(1, n_modes + 1, dtype=theta.dtype)
    decay = torch.exp(-nu * (k * math.pi) ** 2 * t_final)  # (K,)
    return (theta * decay) @ sine_basis(n_modes, grid)  # (N, S)


def sample_theta(n, n_modes, generator=None, decay=1.0):
    """Coefficients theta_k ~ U(-1, 1) / k^decay (smoother fields for larger decay)."""
    k = torch.arange(1, n_modes + 1, dtype=torch.float32)
    return (2 * torch.rand(n, n_modes, generator=generator) - 1) / k ** decay


def normalise(train, *others):
    mean, std = train.mean(0, keepdim=True), train.std(0, keepdim=True) + 1e-6
    return [(t - mean) / std for t in (train,) + others], (mean, std)
