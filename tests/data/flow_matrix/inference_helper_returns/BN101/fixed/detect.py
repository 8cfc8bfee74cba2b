import torch


def nms(detections, threshold):
    return detections[detections[..., 4] > threshold]


def detect_image(model, image, conf_thres=0.5):
    """Runs one image through the detector; gives back the boxes."""
    model.eval()
    batch = image.unsqueeze(0)
    with torch.no_grad():
        detections = model(batch)
        detections = nms(detections, conf_thres)
    return detections.numpy()
