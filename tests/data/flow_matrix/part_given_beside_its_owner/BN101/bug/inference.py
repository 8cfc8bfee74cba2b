import torch


def model_inference(model, images, softmax):
    outputs = []
    with torch.no_grad():
        for image in images:
            logits = model(image.unsqueeze(0))
            outputs.append(softmax(logits))
    return outputs
