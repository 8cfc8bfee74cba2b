import torch

from models.model import Model


class Recognizer:
    def __init__(self, model_path):
        checkpoint = torch.load(model_path, map_location="cpu")
        self.net = Model(3, 37, checkpoint["config"])
        self.net.load_state_dict(checkpoint["state_dict"])

    def predict(self, image):
        preds = self.net(image.unsqueeze(0))
        return preds.softmax(1).argmax(1).item()


if __name__ == "__main__":
    recognizer = Recognizer("crnn.pth")
    print(recognizer.predict(torch.load("image.pt")))
