# BatchNorm1d over token embeddings: transpose-to-(N, E, L) and
# reshape-to-(N*L, E) should be equivalent. They are, up to fp error.
import torch
import torch.nn as nn

torch.manual_seed(0)
N, L, E, VOCAB = 8, 32, 64, 1000


class SeqBN(nn.Module):
    def __init__(self, vocab=VOCAB, dim=E):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, tokens):
        x = self.emb(tokens)  # (N, L, E)
        x = self.bn(x.transpose(1, 2))  # (N, E, L)
        return x.transpose(1, 2)


class FlatBN(nn.Module):
    def __init__(self, vocab=VOCAB, dim=E):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, tokens):
        x = self.emb(tokens)
        n, l, e = x.shape
        x = self.bn(x.reshape(n * l, e))
        return x.view(n, l, e)


a, b = SeqBN(), FlatBN()
b.load_state_dict(a.state_dict())
tokens = torch.randint(0, VOCAB, (N, L))

out_a, out_b = a(tokens), b(tokens)
torch.testing.assert_close(out_a, out_b)
(out_a ** 2).mean().backward()
(out_b ** 2).mean().backward()
torch.testing.assert_close(a.emb.weight.grad, b.emb.weight.grad)
torch.testing.assert_close(a.bn.running_var, b.bn.running_var)

a.eval()
b.eval()
with torch.no_grad():
    torch.testing.assert_close(a(tokens[:1]), b(tokens[:1]))
print("transpose and reshape variants agree")
