import torch


def adversarial_epoch(critic, painter, loader, opt_c, opt_p, z_dim=64):
    for real in loader:
        z = torch.randn(real.size(0), z_dim, 1, 1)
        fake = painter(z)
        loss_c = critic(fake.detach()).mean() - critic(real).mean()
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        loss_p = -critic(fake).mean()
        opt_p.zero_grad()
        loss_p.backward()
        opt_p.step()


def snapshot(painter, z, path):
    painter.eval()
    with torch.no_grad():
        images = painter(z)
    torch.save(images, path)
