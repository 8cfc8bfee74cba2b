import torch


def predict(image, model_list):
    with torch.no_grad():
        for model in model_list:
            scores = model(image).softmax(1)
    return torch.argmax(scores).item()
