import os

import torch
import torch.distributed as dist
import torch.nn.functional as F


def init_dist():
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local_rank)
    dist.init_process_group("nccl")
    return dist.get_rank(), dist.get_world_size(), local_rank


def heatmap_loss(pred, target, vis):
    """Joint-weighted MSE as in SimpleBaseline."""
    w = vis[:, :, None, None]
    return 0.5 * F.mse_loss(pred * w, target * w)


def get_max_preds(heatmaps):
    n, j, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, j, -1)
    maxvals, idx = flat.max(-1)
    coords = torch.stack([idx % w, idx // w], dim=-1).float()
    return coords, maxvals


def pck(pred_hm, gt_hm, vis, thr=0.5):
    p, _ = get_max_preds(pred_hm)
    g, _ = get_max_preds(gt_hm)
    norm = pred_hm.shape[-1] / 10.0
    d = (p - g).norm(dim=-1) / norm
    ok = (d < thr).float() * vis
    return ok.sum() / vis.sum().clamp(min=1)


def build_optimizer(model, lr):
    return torch.optim.Adam(model.parameters(), lr=lr)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    acc, n = 0.0, 0
    for img, hm, vis in loader:
        pred_hm, _ = model(img.to(device))
        acc += pck(pred_hm, hm.to(device), vis.to(device)).item() * img.size(0)
        n += img.size(0)
    return acc / max(n, 1)
