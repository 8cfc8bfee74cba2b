import torch
from torchvision.models import resnet152


class ImageClassifier(object):
    def __init__(self):
        self.model = None
        self.initialized = False

    def initialize(self, path):
        self.model = resnet152()
        self.model.load_state_dict(torch.load(path))
        self.model.eval()
        self.initialized = True

    def inference(self, img):
        return self.model.forward(img)


_service = ImageClassifier()


def handle(data, path):
    if not _service.initialized:
        _service.initialize(path)
    return _service.inference(data)
