import torch

from utils import AverageMeter, relative_l2


def forward_model(model, name, theta, basis, grid):
    """Dispatch the input format each architecture expects."""
    if name == 'resmlp':
        return model(theta)
    u0 = theta @ basis  # (N, S) initial condition on the grid
    if name == 'cnn1d':
        return model(u0, grid.unsqueeze(0).expand(theta.size(0), -1))
    if name == 'deeponet':
        return model(u0, grid.unsqueeze(1))
    raise ValueError(name)


def train_one_epoch(model, name, loader, optimizer, basis, grid, device, clip=None):
    model.train()
    meter = AverageMeter()
    for theta, target in loader:
        theta, target = theta.to(device), target.to(device)
        pred = forward_model(model, name, theta, basis, grid)
        loss = torch.mean((pred - target) ** 2)
        optimizer.zero_grad()
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        meter.update(loss.item(), theta.size(0))
    return meter.avg


@torch.no_grad()
def validate(model, name, loader, basis, grid, device, target_std=None):
    model.eval()
    mse, rel = AverageMeter(), AverageMeter()
    for theta, target in loader:
        theta, target = theta.to(device), target.to(device)
        pred = forward_model(model, name, theta, basis, grid)
        mse.update(torch.mean((pred - target) ** 2).item(), theta.size(0))
        if target_std is not None:
            pred, target = pred * target_std, target * target_std
        rel.update(relative_l2(pred, target).item(), theta.size(0))
    return {'mse': mse.avg, 'rel_l2': rel.avg}
