from collections.abc import Sequence as SequenceCollection
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F

import deepchem.models.torch_models.layers as torch_layers
from deepchem.models.torch_models.torch_model import TorchModel
from deepchem.models.losses import SoftmaxCrossEntropy
from deepchem.utils.pytorch_utils import get_activation


class _GraphConvTorchModel(nn.Module):
    def __init__(self,
                 n_tasks: int,
                 number_input_features: List[int],
                 graph_conv_layers: List[int] = [64, 64],
                 dense_layer_size: int = 128,
                 dropout=0.0,
                 mode: str = "classification",
                 n_classes: int = 2,
                 batch_normalize: bool = True,
                 batch_size: int = 100):
        super(_GraphConvTorchModel, self).__init__()
        self.n_tasks = n_tasks
        self.n_classes = n_classes
        self.mode = mode
        if not isinstance(dropout, SequenceCollection):
            dropout = [dropout] * (len(graph_conv_layers) + 1)

        self.graph_convs = nn.ModuleList([
            torch_layers.GraphConv(layer_size, input_size, activation_fn=get_activation('relu'))
            for layer_size, input_size in zip(graph_conv_layers, number_input_features)
        ])
        self.batch_norms = nn.ModuleList([
            nn.BatchNorm1d(num_features=64, eps=1e-3, momentum=0.99, affine=True, track_running_stats=True)
            if batch_normalize else nn.Identity()
            for _ in range(len(graph_conv_layers))
        ])
        self.batch_norms.append(
            nn.BatchNorm1d(num_features=128, eps=1e-3, momentum=0.99, affine=True, track_running_stats=True)
            if batch_normalize else nn.Identity())
        self.dropouts = nn.ModuleList([nn.Dropout(rate) if rate > 0.0 else nn.Identity() for rate in dropout])
        self.graph_pools = nn.ModuleList([torch_layers.GraphPool() for _ in graph_conv_layers])
        self.dense = nn.Linear(64, dense_layer_size)
        self.dense_act = F.relu
        self.graph_gather = torch_layers.GraphGather(batch_size=batch_size, activation_fn=get_activation('tanh'))
        self.reshape_dense = nn.Linear(dense_layer_size * 2, n_tasks * n_classes)

    def forward(self, inputs, training=False):
        atom_features, degree_slice, membership = inputs[0], inputs[1], inputs[2].to(torch.int64)
        deg_adjs = [deg_adj.to(torch.int64) for deg_adj in inputs[4:]]
        in_layer = atom_features
        for i in range(len(self.graph_convs)):
            gc1 = self.graph_convs[i]([in_layer, degree_slice, membership] + deg_adjs)
            if self.batch_norms[i] is not None:
                gc1 = self.batch_norms[i](gc1)
            if training and self.dropouts[i] is not None:
                gc1 = self.dropouts[i](gc1)
            in_layer = self.graph_pools[i]([gc1, degree_slice, membership] + deg_adjs)
        dense = self.dense(in_layer)
        denseact = self.dense_act(dense)
        if self.batch_norms[-1] is not None:
            dense = self.batch_norms[-1](denseact)
        neural_fingerprint = self.graph_gather([denseact, degree_slice, membership] + deg_adjs)
        logits = torch.reshape(self.reshape_dense(neural_fingerprint), (-1, self.n_tasks, self.n_classes))
        return [F.softmax(logits, dim=2), logits, neural_fingerprint]


class GraphConvModel(TorchModel):
    def __init__(self, n_tasks, number_input_features, graph_conv_layers=[64, 64],
                 dense_layer_size=128, dropout=0.0, mode="classification",
                 batch_size=100, batch_normalize=True, **kwargs):
        model = _GraphConvTorchModel(n_tasks,
                                     graph_conv_layers=graph_conv_layers,
                                     number_input_features=number_input_features,
                                     dense_layer_size=dense_layer_size,
                                     dropout=dropout,
                                     mode=mode,
                                     batch_normalize=batch_normalize,
                                     batch_size=batch_size)
        super(GraphConvModel, self).__init__(model, SoftmaxCrossEntropy(),
                                             output_types=['prediction', 'loss', 'embedding'],
                                             batch_size=batch_size, **kwargs)


def test_neural_fingerprint_retrieval(dataset, tasks):
    model = GraphConvModel(len(tasks),
                           number_input_features=[75, 64],
                           batch_size=50,
                           dense_layer_size=3,
                           mode='classification')
    model.fit(dataset, nb_epoch=1)
    return model.predict_embedding(dataset)
