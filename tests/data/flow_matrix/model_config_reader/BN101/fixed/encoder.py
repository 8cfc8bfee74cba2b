import torch
from timm import create_model
from timm.data import resolve_data_config, create_transform


class ImageEncoder:
    def __init__(self, model_name="resnet50", device="cpu"):
        self.device = device
        self.model = create_model(model_name, pretrained=True, num_classes=0).to(device)
        config = resolve_data_config({}, model=self.model)
        self.transform = create_transform(**config)
        self.model.eval()

    def embed(self, images):
        batch = torch.stack([self.transform(image) for image in images]).to(self.device)
        with torch.no_grad():
            return self.model(batch).cpu().numpy()
