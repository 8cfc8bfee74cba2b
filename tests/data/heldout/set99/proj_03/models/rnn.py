"""BiLSTM encoder with batch-normalised hidden states and max pooling."""
import torch
import torch.nn as nn


class BiLSTMMaxPool(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=300, hidden_size=256, num_layers=1,
                 dropout=0.3, padding_idx=0, **unused):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.hidden_bn = nn.BatchNorm1d(2 * hidden_size)
        self.proj = nn.Sequential(
            nn.Linear(2 * hidden_size, hidden_size, bias=False),
            nn.BatchNorm1d(hidden_size),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        out, _ = self.lstm(emb)  # (N, L, 2H)
        # normalise each hidden unit over batch and time: channels must be dim 1
        out = self.hidden_bn(out.permute(0, 2, 1))  # (N, 2H, L)
        mask = tokens.ne(0).unsqueeze(1)
        out = out.masked_fill(~mask, float('-inf')).max(dim=2).values
        return self.fc(self.proj(out))
