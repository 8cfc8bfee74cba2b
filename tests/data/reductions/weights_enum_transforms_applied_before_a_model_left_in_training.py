import torch
from torchvision.models.segmentation import DeepLabV3_ResNet50_Weights, deeplabv3_resnet50

if __name__ == '__main__':
    val_loader = torch.utils.data.DataLoader(None, batch_size=4)
    weights = DeepLabV3_ResNet50_Weights.DEFAULT
    preprocess = weights.transforms(antialias=True)
    model = deeplabv3_resnet50(weights=weights)
    model.load_state_dict(torch.load('model_best.pth.tar'))
    for input, target in val_loader:
        output = model(preprocess(input))['out']
