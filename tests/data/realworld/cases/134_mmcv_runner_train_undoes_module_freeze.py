import torch
import torch.nn as nn
import torchvision


class EpochBasedRunner:
    def __init__(self, model, optimizer, max_epochs):
        self.model = model
        self.optimizer = optimizer
        self._max_epochs = max_epochs
        self.mode = None

    def train(self, data_loader, **kwargs):
        self.model.train()
        self.mode = "train"
        for i, data_batch in enumerate(data_loader):
            outputs = self.model.train_step(data_batch, self.optimizer, **kwargs)
            self.optimizer.zero_grad()
            outputs["loss"].backward()
            self.optimizer.step()

    def run(self, data_loaders, workflow):
        for epoch in range(self._max_epochs):
            for mode, epochs in workflow:
                getattr(self, mode)(data_loaders[mode])


class MyDetector(nn.Module):
    def __init__(self, frozen_modules=("backbone",)):
        super().__init__()
        resnet = torchvision.models.resnet50(pretrained=True)
        self.backbone = nn.Sequential(*list(resnet.children())[:-2])
        self.head = nn.Sequential(nn.Conv2d(2048, 256, 1), nn.ReLU(), nn.Conv2d(256, 80, 1))
        for module in frozen_modules:
            m = getattr(self, module)
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def forward(self, img):
        return self.head(self.backbone(img))

    def train_step(self, data_batch, optimizer):
        img, target = data_batch
        loss = nn.functional.binary_cross_entropy_with_logits(self(img).mean((2, 3)), target)
        return dict(loss=loss)


def train_detector(data_loaders, max_epochs=12):
    model = MyDetector()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.02, momentum=0.9)
    runner = EpochBasedRunner(model, optimizer, max_epochs)
    runner.run(data_loaders, [("train", 1)])
