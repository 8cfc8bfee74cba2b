import math

import torch
import torch.nn.functional as F
from torch import nn


# src/main/model/stream_temporal_test/position.py
class PositionalEncoding(nn.Module):

    def __init__(self, len_feature_input, dropout, max_len=1000, device="cuda"):
        super(PositionalEncoding, self).__init__()
        self.device = device
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, len_feature_input))
        X = torch.arange(0, max_len).reshape(-1, 1) / torch.pow(10000, torch.arange(0, len_feature_input, 2) / len_feature_input)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X) if len_feature_input % 2 == 0 else torch.cos(X[:, :-1])

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(self.device)
        return self.dropout(X)


# src/main/model/stream_temporal_test/self_attention.py
class SelfAttention(nn.Module):
    def __init__(self, len_feature_input_selfA, len_feature_hidden_selfA, dropout=0, **kwargs):
        super(SelfAttention, self).__init__(**kwargs)
        self.len_feature_hidden_selfA = len_feature_hidden_selfA
        self.W_k = nn.Linear(len_feature_input_selfA, len_feature_hidden_selfA, bias=False)
        self.W_q = nn.Linear(len_feature_input_selfA, len_feature_hidden_selfA, bias=False)
        self.W_v = nn.Linear(len_feature_input_selfA, len_feature_hidden_selfA, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, X):
        K = self.W_k(X)
        Q = self.W_q(X)
        V = self.W_v(X)
        K_T = K.permute(0, 2, 1)
        scores = torch.matmul(Q, K_T) / math.sqrt(self.len_feature_hidden_selfA)
        scores = F.softmax(scores, -1)
        scores = self.dropout(scores)
        attention = torch.matmul(scores, V)
        return attention


# src/main/model/stream_temporal_test/attension_fusion.py
class AttentionFusion(nn.Module):
    def __init__(self, len_feature_input_fusion, len_feature_new_fusion, num_head=3, dropout=0, **kwargs):
        super(AttentionFusion, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)
        self.W_o = nn.Linear(len_feature_input_fusion, len_feature_new_fusion)

    def forward(self, *X):
        output_concat = torch.cat(X, dim=-1)
        output_concat = self.W_o(output_concat)
        return output_concat


# src/main/model/stream_temporal_test/multi_head_attention.py
def divide_head(num_head, len_feature):
    if len_feature % num_head == 0:
        len_feature_per_head = len_feature // num_head
        return [len_feature_per_head] * num_head
    else:
        len_feature_per_head = len_feature // num_head
        len_feature_rest = len_feature - num_head * len_feature_per_head
        ls_len_feature = [len_feature_per_head] * num_head
        ls_len_feature[-1] += len_feature_rest
        return ls_len_feature


class MultiHeadAttention(nn.Module):
    def __init__(self, num_head, len_feature_input_mulA, len_feature_new_mulA, dropout=0, **kwargs):
        super(MultiHeadAttention, self).__init__(**kwargs)
        self.num_head = num_head
        self.len_feature_partials = divide_head(self.num_head, len_feature_input_mulA)
        self.attention = nn.ModuleList([
            SelfAttention(len_feature_input_selfA=len_feature,
                          len_feature_hidden_selfA=len_feature,
                          dropout=dropout)
            for len_feature in self.len_feature_partials])
        self.fusion1 = AttentionFusion(num_head=num_head, len_feature_input_fusion=len_feature_input_mulA,
                                       len_feature_new_fusion=len_feature_new_mulA, dropout=dropout)

    def forward(self, X):
        ls_output = []
        start = 0
        for i in range(0, self.num_head):
            end = start + self.len_feature_partials[i]
            attention = self.attention[i]
            data_patial = X[:, :, start:end]
            output = attention(data_patial)
            ls_output.append(output)
            start = end
        return self.fusion1(*ls_output)


# src/main/model/stream_temporal_test/res_connection.py
class ResConnection(nn.Module):
    def __init__(self, input_size_temporal, len_feature_input_Res, len_feature_new_Res, **kwargs):
        super(ResConnection, self).__init__(**kwargs)
        self.len_feature_input_Res = len_feature_input_Res
        self.len_feature_new_Res = len_feature_new_Res
        self.dense1 = nn.Linear(len_feature_input_Res, len_feature_new_Res, bias=False)
        len_seq = input_size_temporal[0]
        self.bn1 = nn.BatchNorm1d(len_seq)

    def forward(self, X):
        if self.len_feature_new_Res != self.len_feature_input_Res:
            X = self.dense1(X)
            X = self.bn1(X)
        return X


# src/main/model/stream_temporal_test/add_norm.py
class AddNorm(nn.Module):
    def __init__(self, input_size_temporal, dropout, **kwargs):
        super(AddNorm, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)
        self.bn1 = nn.BatchNorm1d(input_size_temporal[0])

    def forward(self, X, Y):
        return self.bn1(self.dropout(Y) + X)


# src/main/model/stream_temporal_test/position_wise_ffn.py
activations = {"gelu": F.gelu, "relu": F.relu}


class FFN(nn.Module):
    def __init__(self, input_size_temporal, len_feature_input_FFN, len_feature_new_FFN, activation="gelu", **kwargs):
        super(FFN, self).__init__(**kwargs)
        self.dense1 = nn.Linear(len_feature_input_FFN, len_feature_new_FFN)
        len_seq = input_size_temporal[0]
        self.bn1 = nn.BatchNorm1d(input_size_temporal[0])
        if activation not in activations:
            act = activations["gelu"]
        else:
            act = activations[activation]
        self.activation = act

    def forward(self, X):
        X = self.dense1(X)
        X = self.bn1(X)
        X = self.activation(X)
        return X


# src/main/model/stream_temporal_test/encoder_block.py
class EncoderBlock(nn.Module):
    def __init__(self, input_size_temporal, len_feature_new, num_head, dropout, **kwargs):
        super(EncoderBlock, self).__init__(**kwargs)
        len_feature_input = input_size_temporal[-1]
        input_size_new = (*input_size_temporal[:-1], len_feature_new)
        self.attention = MultiHeadAttention(num_head, len_feature_input, len_feature_new, dropout)
        self.residual1 = ResConnection(input_size_temporal, len_feature_input, len_feature_new)
        self.residual2 = ResConnection(input_size_temporal, len_feature_new, len_feature_new)
        self.addnorm1 = AddNorm(input_size_new, dropout)
        self.ffn_position = FFN(input_size_temporal=input_size_new, len_feature_input_FFN=len_feature_new,
                                len_feature_new_FFN=len_feature_new)

    def forward(self, X):
        X_back1 = self.residual1(X)
        X = self.attention(X)
        X_back2 = X + X_back1
        X = self.ffn_position(X_back2)
        X = self.addnorm1(self.residual2(X_back2), X)
        return X


# src/main/model/stream_temporal_test/transformer.py
class TransformerEncoder(nn.Module):
    def __init__(self, input_size_transformer, len_feature_new=[64, 128, 256], len_seq=300, num_head=3,
                 dropout=0, num_block=3, **kwargs):
        super(TransformerEncoder, self).__init__(**kwargs)
        self.len_feature_input = input_size_transformer[-1]
        self.len_feature_new = len_feature_new
        self.pos_encoding = PositionalEncoding(self.len_feature_input, dropout)
        self.blks = nn.Sequential()
        for i in range(num_block):
            module = EncoderBlock(input_size_transformer, len_feature_new[i], num_head, dropout)
            self.blks.add_module(str(i), module)
            input_size_transformer = (*input_size_transformer[:-1], len_feature_new[i])

    def forward(self, X):
        X = self.pos_encoding(X)
        X = self.blks(X)
        return X


# src/main/model/stream_temporal_test/__init__.py
class StreamTemporalGCN(torch.nn.Module):
    def __init__(self, num_head, num_block, dropout, len_feature_new, input_size_temporal=(3, 300, 25, 2), **kargs):
        super(StreamTemporalGCN, self).__init__()
        C, T, V, M = input_size_temporal
        channels = C
        num_frame = T

        self.bn0 = nn.BatchNorm1d(T)

        self.transformer = TransformerEncoder(
            input_size_transformer=(num_frame, channels),
            len_feature_new=len_feature_new,
            num_block=num_block,
            len_seq=num_frame,
            dropout=dropout,
            num_head=num_head,
        )

        self.linear1 = nn.Linear(len_feature_new[num_block - 1], 32)
        self.bn1 = nn.BatchNorm1d(T)

        self.linear2 = nn.Linear(32, 32)
        self.bn2 = nn.BatchNorm1d(T)

        self.linear3 = nn.Linear(32, 1)

    def forward(self, X):
        N_0, C_0, T_0, V_0, M_0 = X.size()

        X = X.permute(0, 4, 3, 2, 1).contiguous().view(N_0 * M_0, V_0, T_0, C_0)

        X = X.contiguous().view(N_0 * M_0 * V_0, T_0, C_0)
        X = self.bn0(X)
        X = F.softmax(X, -1)

        X = self.transformer(X)

        X = F.gelu(self.bn1(self.linear1(X)))
        X = F.gelu(self.bn2(self.linear2(X)))
        X = self.linear3(X).squeeze()

        X = X.view(N_0 * M_0, V_0, T_0).mean(1).squeeze()

        X = X.view(N_0, M_0, -1)
        X = X.mean(1)

        return X


# cfgTrainLocal (src/main/config/cfg_train.py)
if __name__ == "__main__":
    model = StreamTemporalGCN(num_head=5, num_block=3, dropout=0.2, len_feature_new=[26, 26, 64],
                              input_size_temporal=(3, 300, 26, 2))
    out = model(torch.randn(14, 3, 300, 26, 2))
