import torch

from base import BaseRunner


class Predictor(BaseRunner):
    def __init__(self, cfg, weights):
        super().__init__(cfg)
        self.model.load_state_dict(torch.load(weights, map_location="cpu"))
        self.model.eval()

    @torch.no_grad()
    def predict(self, images):
        logits = self.model(images.to(self.device))
        return logits.softmax(1).argmax(1)


if __name__ == "__main__":
    p = Predictor({"num_classes": 10}, "best.pt")
    print(p.predict(torch.load("batch.pt")))
