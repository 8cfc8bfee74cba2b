import numpy as np
import torch

from nets import ProtoNet, RelationNet


class MethodEvaluation:
    def __init__(self, method, n_iter=600):
        self.method = method
        self.n_iter = n_iter

    def apply(self, features):
        acc_all = []
        model = self._load_model()
        for i in range(self.n_iter):
            acc_all.append(self._feature_evaluation(features, model))
        return float(np.mean(acc_all))

    def _feature_evaluation(self, features, model):
        scores = model(torch.from_numpy(np.array(features)))
        pred = scores.data.cpu().numpy().argmax(axis=1)
        return np.mean(pred == 0) * 100

    def _load_model(self):
        if self.method == 'protonet':
            model = ProtoNet(n_way=5)
        else:
            model = RelationNet(n_way=5)
        model.eval()
        return model
