import numpy as np
import torch as t
import torch.nn as nn
import torchvision


def nograd(f):
    def new_f(*args, **kwargs):
        with t.no_grad():
            return f(*args, **kwargs)
    return new_f


class FasterRCNN(nn.Module):
    def __init__(self, extractor, head, n_class=21):
        super().__init__()
        self.extractor = extractor
        self.head = head
        self.n_class = n_class
        self.use_preset("evaluate")

    def use_preset(self, preset):
        self.nms_thresh = 0.3
        self.score_thresh = 0.7 if preset == "visualize" else 0.05

    def forward(self, x):
        return self.head(self.extractor(x))

    @nograd
    def predict(self, imgs, sizes=None, visualize=False):
        self.eval()
        if visualize:
            self.use_preset("visualize")
        bboxes, labels, scores = [], [], []
        for img in imgs:
            img = t.as_tensor(img[None]).float()
            roi_scores = self(img)
            prob = roi_scores.softmax(dim=1).cpu().numpy()
            labels.append(np.argmax(prob, axis=1))
            scores.append(prob.max(axis=1))
        self.use_preset("evaluate")
        self.train()
        return bboxes, labels, scores


class FasterRCNNTrainer(nn.Module):
    def __init__(self, faster_rcnn):
        super().__init__()
        self.faster_rcnn = faster_rcnn
        self.optimizer = t.optim.SGD(faster_rcnn.parameters(), lr=1e-3, momentum=0.9)

    def train_step(self, imgs, labels):
        self.optimizer.zero_grad()
        loss = nn.functional.cross_entropy(self.faster_rcnn(imgs), labels)
        loss.backward()
        self.optimizer.step()


def train(dataloader, test_imgs, epochs):
    vgg = torchvision.models.vgg16(pretrained=True)
    extractor = nn.Sequential(*list(vgg.features)[:30], nn.AdaptiveAvgPool2d(1), nn.Flatten())
    faster_rcnn = FasterRCNN(extractor, nn.Linear(512, 21))
    trainer = FasterRCNNTrainer(faster_rcnn)
    for epoch in range(epochs):
        for ii, (img, label) in enumerate(dataloader):
            trainer.train_step(img, label)
            if ii % 100 == 0:
                _bboxes, _labels, _scores = trainer.faster_rcnn.predict(test_imgs, visualize=True)
