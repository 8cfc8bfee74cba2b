import torch
from torchvision.models.segmentation import DeepLabV3_ResNet50_Weights

if __name__ == '__main__':
    val_loader = torch.utils.data.DataLoader(None, batch_size=4)
    preprocess = DeepLabV3_ResNet50_Weights.DEFAULT.transforms()
    model = torch.load('model.pt')
    model.eval()
    for input, target in val_loader:
        output = model(preprocess(input))
