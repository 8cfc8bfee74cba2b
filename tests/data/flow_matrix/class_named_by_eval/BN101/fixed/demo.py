import torch
import torch.nn.functional as F

from libs.models import *


def inference(model, image):
    logits = model(image)
    return F.interpolate(logits, size=image.shape[2:], mode="bilinear")


def single(config, model_path, image):
    model = eval(config.MODEL.NAME)(n_classes=config.DATASET.N_CLASSES)
    model.load_state_dict(torch.load(model_path))
    model.eval()
    return inference(model, image)


def live(config, model_path, camera):
    model = eval(config.MODEL.NAME)(n_classes=config.DATASET.N_CLASSES)
    model.load_state_dict(torch.load(model_path))
    model.eval()
    for frame in camera:
        yield inference(model, frame)
