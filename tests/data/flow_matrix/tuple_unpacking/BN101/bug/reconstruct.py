import torch
from torchvision.utils import save_image

from autoencoder import build_autoencoder

encoder, decoder = build_autoencoder(128)
state = torch.load("ae.pt")
encoder.load_state_dict(state["encoder"])
decoder.load_state_dict(state["decoder"])
decoder.eval()
images = torch.load("test_images.pt")
with torch.no_grad():
    codes = encoder(images)
    save_image(decoder(codes), "reconstructions.png")
