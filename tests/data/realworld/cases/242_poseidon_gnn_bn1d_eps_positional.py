import dgl
import dgl.nn as dglnn
import torch.nn as nn
import torch.nn.functional as F


class SimplePoseGNN(nn.Module):
    def __init__(self, input_dim, output_dim, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Linear(input_dim, hidden_size)
        self.conv1 = dglnn.GraphConv(hidden_size, hidden_size)
        self.batch_norm1d = nn.BatchNorm1d(hidden_size)
        self.linear_layer_2 = nn.Linear(hidden_size, hidden_size)
        self.conv2 = dglnn.GraphConv(hidden_size, hidden_size)
        self.batch_norm1d_2 = nn.BatchNorm1d(hidden_size, hidden_size)
        self.linear_layer_3 = nn.Linear(hidden_size, output_dim)
        self.classifier = nn.Linear(output_dim, num_classes)

    def forward(self, graph, node_features):
        # node embeddings: (num_nodes, hidden_size)
        x = self.embedding(node_features)
        h = x + self.conv1(graph, x)
        h = F.relu(self.batch_norm1d(h))
        h = self.linear_layer_2(h)
        h = x + self.conv2(graph, h)
        h = F.relu(self.batch_norm1d_2(h))
        h = self.linear_layer_3(h)
        graph.ndata["h"] = h
        y = dgl.mean_nodes(graph, "h")
        return h, self.classifier(y)
