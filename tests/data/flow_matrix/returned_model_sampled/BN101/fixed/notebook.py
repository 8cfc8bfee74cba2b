import matplotlib.pyplot as plt
import torch

from gan import Generator, train_model

G = Generator(z_dim=20)
loader = torch.utils.data.DataLoader(torch.randn(64, 1, 7, 7), batch_size=8)
G_update = train_model(G, dataloader=loader, num_epochs=3)

G_update.eval()
fixed_z = torch.randn(8, 20, 1, 1)
fake_images, scores = G_update(fixed_z)
for i in range(5):
    plt.imshow(fake_images[i][0].cpu().detach().numpy(), "gray")
