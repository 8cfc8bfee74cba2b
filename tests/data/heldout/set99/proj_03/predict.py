"""Classify raw sentences with a trained checkpoint.

    python predict.py --checkpoint runs/sst2_textcnn/best.pt --input sentences.txt
"""
import argparse
import sys

import torch
import torch.nn.functional as F

from datasets import PAD, UNK, Vocab, tokenize
from models import get_model


def load(checkpoint_path, device):
    ckpt = torch.load(checkpoint_path, map_location=device)
    vocab = Vocab.__new__(Vocab)
    vocab.itos = ckpt['vocab']
    vocab.stoi = {t: i for i, t in enumerate(vocab.itos)}
    train_args = ckpt['args']
    id2label = {i: l for l, i in ckpt['label2id'].items()}
    model = get_model(train_args['model'], vocab_size=len(vocab), num_classes=len(id2label),
                      embed_dim=train_args['embed_dim'], dropout=train_args['dropout'])
    model.load_state_dict(ckpt['model'])
    model.to(device).eval()
    return model, vocab, id2label, train_args['max_len']


@torch.inference_mode()
def predict(model, vocab, sentences, max_len, device, batch_size=32):
    results = []
    for start in range(0, len(sentences), batch_size):
        chunk = sentences[start:start + batch_size]
        tokens = torch.zeros(len(chunk), max_len, dtype=torch.long)
        for i, s in enumerate(chunk):
            ids = vocab.encode(tokenize(s))[:max_len]
            if ids:
                tokens[i, :len(ids)] = torch.tensor(ids)
        probs = F.softmax(model(tokens.to(device)), dim=1)
        conf, pred = probs.max(dim=1)
        results.extend(zip(pred.tolist(), conf.tolist()))
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--input', default='-')
    p.add_argument('--batch-size', type=int, default=32)
    args = p.parse_args()

    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    model, vocab, id2label, max_len = load(args.checkpoint, device)
    src = sys.stdin if args.input == '-' else open(args.input, encoding='utf-8')
    sentences = [line.strip() for line in src if line.strip()]
    for s, (label, conf) in zip(sentences, predict(model, vocab, sentences, max_len, device,
                                                   args.batch_size)):
        print('{}\t{:.3f}\t{}'.format(id2label[label], conf, s))


if __name__ == '__main__':
    main()
