"""Code that BN101's examples fill in: a loader returning a model, trainers, an EMA copy, a model built
around a part it is given, an RL agent, a model given to a loading function out of sight."""
UNPACKED = """
import torch
import torchvision


def load_classifier(path):
    net = torchvision.models.resnet18(num_classes=5)
    net.load_state_dict(torch.load(path))
    return {returned}, ["daisy", "rose", "tulip", "iris", "lily"]


model, names = load_classifier("flowers.pt")
with torch.no_grad():
    scores = model(torch.randn(1, 3, 224, 224))
"""
TRAINER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
{decorator}
class Trainer:
{fields}

    def fit(self, loader):
        self.model.train()
        for x, y in loader:
            self.optimizer.zero_grad()
            F.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    def predict(self, x):
        with torch.no_grad():
            return self.model(x).argmax(1)


net = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
trainer = Trainer(net, torch.optim.SGD(net.parameters(), lr=0.1))
trainer.fit(loader){between}
labels = trainer.predict(torch.randn(4, 8))
"""
DATACLASS = dict(decorator="from dataclasses import dataclass\n\n@dataclass",
                  fields="    model: nn.Module\n    optimizer: torch.optim.Optimizer")
INIT = dict(decorator="", fields="    def __init__(self, model, optimizer):\n        self.model = model\n"
                                  "        self.optimizer = optimizer")
EMA_TRAINER = """
import copy
import torch
import torch.nn as nn


class ModelEma:
    def __init__(self, model, decay=0.999):
        self.module = copy.deepcopy(model)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for ema_p, p in zip(self.module.parameters(), model.parameters()):
            ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)


class Trainer:
    def __init__(self, loader):
        self.loader = loader
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(10))
        self.ema = ModelEma(self.model)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()
            self.ema.update(self.model)

    @torch.no_grad()
    def evaluate(self):{ema_eval}
        return [self.ema.module(x).argmax(1) for x, _ in self.loader]

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(self.evaluate())


Trainer(loader).fit(10)
"""
BUILT_AROUND = """
import torch
import torch.nn as nn

def make_layers(batch_norm=False):
    layers = []
    for width in (16, 32):
        layers += [nn.Conv2d(3, width, 3, bias=False)]
        if batch_norm:
            layers += [nn.BatchNorm2d(width)]
    return nn.Sequential(*layers)

class Net(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.features = features
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))

def predict(loader):
    model = Net({features})
    model.load_state_dict(torch.load("net.pt"))
    with torch.no_grad():
        return [model(x).argmax(1) for x in loader]
"""

# an RL agent given its actor: `learn` trains it, `act` runs it ({act_first}: what `act` does first)
AGENT = """
import torch
import torch.nn as nn

class Actor(nn.Module):
    def __init__(self, n, a):
        super().__init__()
        self.fc = nn.Linear(n, 256, bias=False)
        self.bn = nn.BatchNorm1d(256)
        self.out = nn.Linear(256, a)

    def forward(self, s):
        return self.out(self.bn(self.fc(s)).relu())

class Agent:
    def __init__(self, actor):
        self.actor = actor
        self.opt = torch.optim.Adam(self.actor.parameters())

    def act(self, state):{act_first}
        with torch.no_grad():
            return self.actor(torch.as_tensor(state).unsqueeze(0)).numpy()

    def learn(self, states):
        self.actor.train()
        loss = -self.actor(states).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
"""

# a built model given to a function of code out of sight ({load}), then run under no_grad ({after}: before it)
LOADED = """
import torch
import model_io
from torchvision import models

model = models.resnet18()
{load}{after}
with torch.no_grad():
    out = model(torch.rand(2, 3, 224, 224))
"""

# a trained encoder put to use after its training loop (an adversarial autoencoder's latent codes)
TRAINED_THEN_USED = """
import torch
import torch.nn as nn

encoder = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))
decoder = nn.Sequential(nn.Linear(3, 784), nn.Sigmoid())
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()))
for epoch in range(10):
    for images, _ in data_loader:
        optimizer.zero_grad()
        loss = torch.dist(images.flatten(1), decoder(encoder(images)))
        loss.backward()
        optimizer.step()
{after}
"""

# an OpenMMLab detector built, loaded and run on a test set
MM_INFERRER = """
import torch
from mmcv.parallel import MMDataParallel
from mmcv.runner import load_checkpoint
from mmdet.models import build_detector

from .stage import Stage


class Inferrer(Stage):
    def infer(self, cfg, data_loader):
        model = build_detector(cfg.model)
        load_checkpoint(model, cfg.load_from, map_location="cpu"){eval}
        eval_model = MMDataParallel(model.cuda(0), device_ids=[0])
        Stage.set_inference_progress_callback(model, cfg)
        results = []
        for data in data_loader:
            with torch.no_grad():
                results.extend(eval_model(return_loss=False, rescale=True, **data))
        return results
"""

# a GAN synthesizer: `fit()` trains the generator a static factory builds; `sample()` reads its output out
# as data (CTGAN, text-to-image's gan_factory)
SAMPLER = """
import numpy as np
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(dim, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, dim))

    def forward(self, z):
        return self.seq(z)


class GanFactory:
    @staticmethod
    def generator_factory(dim):
        return Generator(dim)


class Synthesizer:
    def fit(self, data, dim, epochs=300):
        self._generator = GanFactory.generator_factory(dim)
        optimizer = torch.optim.Adam(self._generator.parameters(), lr=2e-4)
        for _ in range(epochs):
            loss = self._generator(torch.randn(len(data), dim)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def sample(self, n, dim):{eval}
        fake = self._generator(torch.randn(n, dim))
        return np.concatenate([torch.tanh(fake).detach().cpu().numpy()])


synthesizer = Synthesizer()
synthesizer.fit(load_table(), 16)
rows = synthesizer.sample(1000, 16)
"""

# a predictor subclassing the project's own trainer base, whose `__init__` builds and loads the model
SUBCLASSED_TRAINER = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class BaseTrainer:
    def __init__(self, cfg):
        self.model = Net().to(cfg.device)
        self.model.load_state_dict(torch.load(cfg.ckpt))


class Predictor(BaseTrainer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.loader = cfg.loader

    @torch.no_grad()
    def predict(self):{eval}
        return [self.model(x).argmax(1) for x in self.loader]
{main}"""

# a saliency method given a pretrained model: captum and torchcam only hook it, the model stays in training mode
ATTRIBUTION = """
import sys
from PIL import Image
from torchvision import models
from torchvision.transforms.functional import normalize, to_tensor
from {library} import {method}

model = models.resnet18(weights="IMAGENET1K_V1"){eval}
explainer = {method}(model{layer})
image = normalize(to_tensor(Image.open(sys.argv[1])), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
target = model(image.unsqueeze(0)).argmax(1)
"""

# a fine-tuning head whose forward sets its backbone's mode itself, on the branch that trains it (line 14)
FORWARD_SETS_MODE = """
import torch
import torch.nn as nn
from torchvision import models


class Finetune(nn.Module):
    def __init__(self, freeze):
        super().__init__()
        self.freeze = freeze
        self.backbone = nn.Sequential(*list(models.resnet50(weights="IMAGENET1K_V2").children())[:-1])
        self.head = nn.Linear(2048, 10)

    def forward(self, x):
        if self.freeze:
            self.backbone.eval()
            with torch.no_grad():
                features = self.backbone(x).flatten(1)
        else:{train}
            features = self.backbone(x).flatten(1)
        return self.head(features)


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x).argmax(1) for x, _ in loader]
"""
