import torch

from segmenter import Segmenter


class Demo:
    def __init__(self, weights):
        self.model = Segmenter()
        self.model.load_state_dict(torch.load(weights, map_location="cpu"))
        self.model.eval()

    @torch.no_grad()
    def run(self, image):
        return self.model.inference(image.unsqueeze(0))[0]


if __name__ == "__main__":
    print(Demo("seg.pt").run(torch.rand(3, 512, 1024)))
