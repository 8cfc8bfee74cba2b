import torch
import torch.nn.functional as F


def trades_loss(model, x_natural, y, optimizer, step_size=0.003, epsilon=0.031, perturb_steps=10, beta=1.0):
    model.eval()
    delta = (0.001 * torch.randn_like(x_natural)).requires_grad_(True)
    optimizer_delta = torch.optim.SGD([delta], lr=epsilon / perturb_steps * 2)
    for _ in range(perturb_steps):
        optimizer_delta.zero_grad()
        loss = -F.kl_div(F.log_softmax(model(x_natural + delta), dim=1), F.softmax(model(x_natural), dim=1))
        loss.backward()
        optimizer_delta.step()
    x_adv = (x_natural + delta).detach()
    model.train()
    logits = model(x_natural)
    loss_natural = F.cross_entropy(logits, y)
    loss_robust = F.kl_div(F.log_softmax(model(x_adv), dim=1), F.softmax(model(x_natural), dim=1))
    optimizer.zero_grad()
    return loss_natural + beta * loss_robust
