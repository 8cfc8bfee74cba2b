import numpy as np
import torch
import torch.nn.functional as F


def dice_loss(logits, target, eps=1e-5):
    prob = F.softmax(logits, dim=1)[:, 1]
    tgt = (target == 1).float()
    inter = (prob * tgt).sum()
    return 1 - (2 * inter + eps) / (prob.sum() + tgt.sum() + eps)


def binary_dice(pred, gt):
    pred, gt = pred.astype(bool), gt.astype(bool)
    s = pred.sum() + gt.sum()
    return 1.0 if s == 0 else 2.0 * np.logical_and(pred, gt).sum() / s


def sliding_window_prob(net, image, patch, stride=(18, 18, 4), n_classes=2):
    """image: (1, 1, W, H, D) tensor on the right device."""
    _, _, W, H, D = image.shape
    pw, ph, pd = patch
    score = torch.zeros((1, n_classes, W, H, D), device=image.device)
    cnt = torch.zeros((1, 1, W, H, D), device=image.device)
    for x in sorted(set(list(range(0, max(W - pw, 0) + 1, stride[0])) + [max(W - pw, 0)])):
        for y in sorted(set(list(range(0, max(H - ph, 0) + 1, stride[1])) + [max(H - ph, 0)])):
            for z in sorted(set(list(range(0, max(D - pd, 0) + 1, stride[2])) + [max(D - pd, 0)])):
                crop = image[:, :, x:x + pw, y:y + ph, z:z + pd]
                score[:, :, x:x + pw, y:y + ph, z:z + pd] += F.softmax(net(crop), dim=1)
                cnt[:, :, x:x + pw, y:y + ph, z:z + pd] += 1
    return score / cnt


def run_validation(model, loader, patch, device):
    """Mean Dice of the foreground class over the validation volumes."""
    model.eval()
    scores = []
    with torch.no_grad():
        for image, label in loader:
            prob = sliding_window_prob(model, image.to(device), patch)
            pred = prob.argmax(1)[0].cpu().numpy()
            scores.append(binary_dice(pred, label[0].numpy()))
    return float(np.mean(scores))
