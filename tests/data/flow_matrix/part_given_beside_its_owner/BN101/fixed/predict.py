import torch
from inference import model_inference
from net import Net


def main(path, images):
    model = Net()
    model.load_state_dict(torch.load(path))
    return model_inference(model, images, model.final_activation)
