# Text classifier predicts the same label for every sentence after training.
# Reduced from a larger project; seq len and embedding dim happen to be equal.
import torch
import torch.nn as nn

torch.manual_seed(0)
VOCAB, EMB, MAX_LEN, N_CLASSES = 5000, 64, 64, 4


class BagOfEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.bn = nn.BatchNorm1d(EMB)
        self.fc = nn.Linear(EMB, N_CLASSES)

    def forward(self, tokens):
        x = self.emb(tokens)  # (N, L, E)
        x = self.bn(x)  # expect: BN203
        x = x.max(dim=1).values
        return self.fc(x)


model = BagOfEmbeddings()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
tokens = torch.randint(1, VOCAB, (128, MAX_LEN))
labels = torch.randint(0, N_CLASSES, (128,))

for epoch in range(5):
    for i in range(0, 128, 32):
        logits = model(tokens[i:i + 32])
        loss = nn.functional.cross_entropy(logits, labels[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))

model.training = False  # expect: BN102
with torch.no_grad():
    preds = model(torch.randint(1, VOCAB, (8, MAX_LEN))).argmax(-1)  # expect: BN101
print(preds)  # tensor([2, 2, 2, 2, 2, 2, 2, 2])
