import numpy as np
import segmentation_models_pytorch as smp
import torch
from torch.utils.data import DataLoader


def load_model(weights_path, device):
    model = smp.Unet(encoder_name="se_resnet50", classes=1, activation="sigmoid")
    state = torch.load(weights_path, map_location=device)
    model.load_state_dict(state)
    return model.to(device)


def predict_dataset(model, dataset, batch_size, device):
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    masks = []
    with torch.no_grad():
        for images in loader:
            pr = model(images.to(device))
            masks.append((pr.cpu().numpy() > 0.5).astype(np.uint8))
    return np.concatenate(masks)


if __name__ == "__main__":
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model("best_model.pth", device)
    test_dataset = np.load("test_images.npy").astype(np.float32)
    # the same image gets a different mask with batch_size=1 and batch_size=8
    single = predict_dataset(model, torch.from_numpy(test_dataset), 1, device)
    batched = predict_dataset(model, torch.from_numpy(test_dataset), 8, device)
    print((single != batched).mean())
