import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
        self.device = torch.device("cpu")

    def forward(self, x):
        return self.body(x)


def predict_image(model, image):
    model.eval()
    with torch.no_grad():
        return model(image.unsqueeze(0).to(model.device)).argmax(1).item()


model = Classifier()
model.load_state_dict(torch.load("classifier.pt"))
print(predict_image(model, torch.load("image.pt")))
