import os

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable
from torchvision.models import resnet34

from fastai.dataset import ImageClassifierData, open_image
from fastai.transforms import tfms_from_model


def T(a):
    a = np.array(a)
    if a.dtype in (np.int8, np.int16, np.int32, np.int64):
        return torch.LongTensor(a.astype(np.int64))
    return torch.FloatTensor(a.astype(np.float32))


def V(x, requires_grad=False, volatile=False):
    return Variable(x, requires_grad=requires_grad, volatile=volatile)


def VV(x): return [V(o.cuda(), volatile=True) for o in x]


def to_np(v):
    if isinstance(v, Variable): v = v.data
    return v.cpu().numpy()


def children(m): return list(m.children())


def get_prediction(x):
    if isinstance(x, (tuple, list)): x = x[0]
    return x.data


def predict_with_targs(m, dl):
    m.eval()
    if hasattr(m, 'reset'): m.reset()
    res = []
    for *x, y in iter(dl): res.append([get_prediction(m(*VV(x))), y])
    preda, targa = zip(*res)
    return to_np(torch.cat(preda)), to_np(torch.cat(targa))


class AdaptiveConcatPool2d(nn.Module):
    def __init__(self, sz=None):
        super().__init__()
        sz = sz or (1, 1)
        self.ap = nn.AdaptiveAvgPool2d(sz)
        self.mp = nn.AdaptiveMaxPool2d(sz)

    def forward(self, x): return torch.cat([self.mp(x), self.ap(x)], 1)


class Flatten(nn.Module):
    def forward(self, x): return x.view(x.size(0), -1)


class ConvnetBuilder():
    def __init__(self, f, c, is_multi, is_reg, ps=None, xtra_fc=None, pretrained=True):
        self.f, self.c, self.is_multi, self.is_reg = f, c, is_multi, is_reg
        if xtra_fc is None: xtra_fc = [512]
        if ps is None: ps = [0.25] * len(xtra_fc) + [0.5]
        self.ps, self.xtra_fc = ps, xtra_fc
        layers = children(f(pretrained))[:-2]
        self.nf = 1024
        layers += [AdaptiveConcatPool2d(), Flatten()]
        self.top_model = nn.Sequential(*layers)
        fc_layers = self.get_fc_layers()
        self.fc_model = nn.Sequential(*fc_layers).cuda()
        self.model = nn.Sequential(*(layers + fc_layers)).cuda()

    def create_fc_layer(self, ni, nf, p, actn=None):
        res = [nn.BatchNorm1d(num_features=ni)]
        if p: res.append(nn.Dropout(p=p))
        res.append(nn.Linear(in_features=ni, out_features=nf))
        if actn: res.append(actn)
        return res

    def get_fc_layers(self):
        res = []
        ni = self.nf
        for i, nf in enumerate(self.xtra_fc):
            res += self.create_fc_layer(ni, nf, p=self.ps[i], actn=nn.ReLU())
            ni = nf
        final_actn = nn.Sigmoid() if self.is_multi else nn.LogSoftmax()
        if self.is_reg: final_actn = None
        res += self.create_fc_layer(ni, self.c, p=self.ps[-1], actn=final_actn)
        return res

    def get_layer_groups(self): return [self.top_model, self.fc_model]


class Learner():
    def __init__(self, data, models, tmp_name='tmp', models_name='models'):
        self.data_, self.models = data, models
        self.tmp_path = os.path.join(self.data.path, tmp_name)
        self.models_path = os.path.join(self.data.path, models_name)
        os.makedirs(self.tmp_path, exist_ok=True)
        os.makedirs(self.models_path, exist_ok=True)

    @property
    def model(self): return self.models.model

    @property
    def data(self): return self.data_

    def get_model_path(self, name): return os.path.join(self.models_path, name) + '.h5'

    def save(self, name): torch.save(self.model.state_dict(), self.get_model_path(name))

    def load(self, name): self.model.load_state_dict(torch.load(self.get_model_path(name)))

    def predict(self, is_test=False): return self.predict_with_targs(is_test)[0]

    def predict_with_targs(self, is_test=False):
        dl = self.data.test_dl if is_test else self.data.val_dl
        return predict_with_targs(self.model, dl)

    def predict_dl(self, dl): return predict_with_targs(self.model, dl)[0]

    def predict_array(self, arr): return to_np(self.model(V(T(arr).cuda())))

    def TTA(self, n_aug=4, is_test=False):
        dl1 = self.data.test_dl if is_test else self.data.val_dl
        dl2 = self.data.test_aug_dl if is_test else self.data.aug_dl
        preds1, targs = predict_with_targs(self.model, dl1)
        preds1 = [preds1] * int(np.ceil(n_aug / 4))
        preds2 = [predict_with_targs(self.model, dl2)[0] for i in range(n_aug)]
        return np.stack(preds1 + preds2), targs


class ConvLearner(Learner):
    def __init__(self, data, models, precompute=False, **kwargs):
        self.precompute = False
        super().__init__(data, models, **kwargs)

    @classmethod
    def pretrained(cls, f, data, ps=None, xtra_fc=None, precompute=False, **kwargs):
        models = ConvnetBuilder(f, data.c, data.is_multi, data.is_reg, ps=ps, xtra_fc=xtra_fc)
        return cls(data, models, precompute, **kwargs)


if __name__ == '__main__':
    PATH = "data/dogscats/"
    sz = 224
    arch = resnet34
    data = ImageClassifierData.from_paths(PATH, tfms=tfms_from_model(arch, sz))
    learn = ConvLearner.pretrained(arch, data, precompute=False)
    learn.load('224_all')

    trn_tfms, val_tfms = tfms_from_model(arch, sz)
    fn = data.val_ds.fnames[0]
    im = val_tfms(open_image(PATH + fn))
    preds = learn.predict_array(im[None])
    print(data.classes[np.argmax(preds)], np.exp(preds))
