import torch

from models.resnet import ResNetUDA


def test_with_threshold(model, dataloader, threshold):
    model.eval()
    accepted = 0
    with torch.no_grad():
        for images, labels in dataloader:
            outputs = model.get_prediction_and_logits(images)
            accepted += (outputs["weights"] > threshold).sum().item()
    return accepted


def main(args, test_loader):
    model = ResNetUDA(args.num_classes)
    model.load_state_dict(torch.load(args.checkpoint))
    print(test_with_threshold(model, test_loader, args.threshold))
