import torch

from nets import Critic, Painter
from steps import adversarial_epoch, snapshot


def main(loader, epochs=20):
    critic, painter = Critic(), Painter()
    opt_c = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
    opt_p = torch.optim.RMSprop(painter.parameters(), lr=5e-5)
    fixed_z = torch.randn(16, 64, 1, 1)
    for epoch in range(epochs):
        adversarial_epoch(critic, painter, loader, opt_c, opt_p)
        snapshot(painter, fixed_z, f"epoch_{epoch}.pt")
