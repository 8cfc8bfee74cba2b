# Sentiment classification with an embedding + BiLSTM (blog tutorial, part 2)
# We add BatchNorm after the embedding and after the LSTM to speed up training.
import random
import re
from collections import Counter

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

random.seed(0)
torch.manual_seed(0)

MAX_LEN = 100
EMBED_DIM = 100
HIDDEN_DIM = 64
N_EPOCHS = 5

# ---- toy corpus standing in for the IMDB reviews ----
pos_words = ["great", "loved", "wonderful", "fun", "brilliant", "moving", "best"]
neg_words = ["boring", "awful", "waste", "terrible", "dull", "worst", "bad"]
filler = ["the", "movie", "film", "plot", "actor", "was", "and", "a", "this", "story"]


def make_review(label):
    pool = pos_words if label == 1 else neg_words
    words = [random.choice(filler + pool) for _ in range(random.randint(20, 120))]
    return " ".join(words), label


corpus = [make_review(i % 2) for i in range(12000)]


def tokenize(text):
    return re.findall(r"[a-z']+", text.lower())


counter = Counter(tok for text, _ in corpus for tok in tokenize(text))
vocab = {"<pad>": 0, "<unk>": 1}
for word, _ in counter.most_common(20000):
    vocab[word] = len(vocab)


def encode(text):
    ids = [vocab.get(tok, 1) for tok in tokenize(text)][:MAX_LEN]
    return ids + [0] * (MAX_LEN - len(ids))


X = torch.tensor([encode(t) for t, _ in corpus], dtype=torch.long)
y = torch.tensor([lab for _, lab in corpus], dtype=torch.long)
train_ds = TensorDataset(X[:10000], y[:10000])
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim=EMBED_DIM, hidden_dim=HIDDEN_DIM, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.seq_bn = nn.BatchNorm1d(2 * hidden_dim)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(2 * hidden_dim, n_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        emb = self.emb_bn(emb.permute(0, 2, 1)).permute(0, 2, 1)
        out, _ = self.lstm(emb)
        pooled, _ = out.max(dim=1)
        pooled = self.seq_bn(pooled)
        return self.fc(self.dropout(pooled))


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = SentimentLSTM(len(vocab)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(N_EPOCHS):
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for tokens, labels in train_loader:
        tokens, labels = tokens.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(tokens)
        loss = criterion(logits, labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total_loss += loss.item() * tokens.size(0)
        correct += (logits.argmax(1) == labels).sum().item()
        seen += tokens.size(0)
    print(f"epoch {epoch + 1}: loss={total_loss / seen:.4f} acc={correct / seen:.3f}")


def predict_sentiment(model, sentence):
    model.eval()
    x = torch.tensor([encode(sentence)], dtype=torch.long, device=device)
    with torch.no_grad():
        logits = model(x)
    return "positive" if logits.argmax(1).item() == 1 else "negative"


for review in ["this movie was brilliant and moving", "what a boring waste of a film"]:
    print(review, "->", predict_sentiment(model, review))

torch.save(model.state_dict(), "sentiment_lstm.pt")
