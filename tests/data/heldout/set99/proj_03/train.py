"""Train sentence/document classifiers for
"Normalising Word Embeddings Helps Shallow Text CNNs" (workshop paper).

    python train.py --train data/sst2/train.tsv --dev data/sst2/dev.tsv \
        --glove glove.840B.300d.txt --model textcnn --output-dir runs/sst2_textcnn
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from datasets import TextClassificationDataset, load_glove, make_collate
from engine import evaluate, train_one_epoch
from models import MODEL_REGISTRY, get_model
from utils import EarlyStopping, get_logger, save_checkpoint, seed_everything


def parse_args():
    parser = argparse.ArgumentParser(description='Text classification training')
    # data
    parser.add_argument('--train', required=True, help='training TSV')
    parser.add_argument('--dev', required=True, help='development TSV')
    parser.add_argument('--test', default=None, help='optional test TSV')
    parser.add_argument('--glove', default=None, help='path to GloVe vectors')
    parser.add_argument('--max-len', type=int, default=300, help='tokens per document')
    parser.add_argument('--min-freq', type=int, default=2)
    parser.add_argument('--workers', type=int, default=2)
    # model
    parser.add_argument('--model', default='textcnn', choices=list(MODEL_REGISTRY))
    parser.add_argument('--embed-dim', type=int, default=300)
    parser.add_argument('--freeze-embeddings', action='store_true')
    parser.add_argument('--dropout', type=float, default=0.5)
    # optimisation
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=4,
                        help='per-step batch size (long documents do not fit otherwise)')
    parser.add_argument('--accum-steps', type=int, default=8,
                        help='gradient accumulation; effective batch = batch_size * accum_steps')
    parser.add_argument('--eval-batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--weight-decay', type=float, default=1e-4)
    parser.add_argument('--max-grad-norm', type=float, default=3.0)
    parser.add_argument('--patience', type=int, default=5)
    # misc
    parser.add_argument('--seed', type=int, default=1234)
    parser.add_argument('--output-dir', default='runs/default')
    parser.add_argument('--log-every', type=int, default=200)
    parser.add_argument('--no-cuda', action='store_true')
    return parser.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    logger = get_logger(os.path.join(args.output_dir, 'train.log'))
    logger.info('arguments: %s', json.dumps(vars(args)))
    seed_everything(args.seed)
    device = torch.device('cuda' if torch.cuda.is_available() and not args.no_cuda else 'cpu')

    train_set = TextClassificationDataset(args.train, max_len=args.max_len, min_freq=args.min_freq)
    vocab, label2id = train_set.vocab, train_set.label2id
    dev_set = TextClassificationDataset(args.dev, vocab=vocab, label2id=label2id,
                                        max_len=args.max_len)
    num_classes = len(label2id)
    logger.info('vocab %d, classes %d, train %d, dev %d', len(vocab), num_classes,
                len(train_set), len(dev_set))

    collate = make_collate(args.max_len)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=collate, num_workers=args.workers)  # expect: BN301
    dev_loader = DataLoader(dev_set, batch_size=args.eval_batch_size, shuffle=False,
                            collate_fn=collate, num_workers=args.workers)

    pretrained = None
    if args.glove:
        pretrained, found = load_glove(args.glove, vocab, dim=args.embed_dim)
        logger.info('GloVe coverage: %d / %d', found, len(vocab))

    model = get_model(args.model, vocab_size=len(vocab), num_classes=num_classes,
                      embed_dim=args.embed_dim, dropout=args.dropout,
                      pretrained_embeddings=pretrained,
                      freeze_embeddings=args.freeze_embeddings).to(device)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info('model %s: %.2fM trainable parameters', args.model, n_params / 1e6)

    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                                 lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', factor=0.5,
                                                           patience=2)
    stopper = EarlyStopping(patience=args.patience, mode='max')

    history = []
    best_path = os.path.join(args.output_dir, 'best.pt')
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        train_loss, train_acc = train_one_epoch(model, train_loader, optimizer, criterion, device,
                                                epoch, logger, accum_steps=args.accum_steps,
                                                max_grad_norm=args.max_grad_norm,
                                                log_every=args.log_every)
        dev_metrics = evaluate(model, dev_loader, criterion, device, num_classes)
        scheduler.step(dev_metrics['acc'])
        improved, stop = stopper.step(dev_metrics['acc'])
        logger.info('epoch %d (%.0fs) train loss %.4f acc %.2f | dev loss %.4f acc %.2f f1 %.2f%s',
                    epoch, time.time() - t0, train_loss, train_acc, dev_metrics['loss'],
                    dev_metrics['acc'], dev_metrics['macro_f1'], ' *' if improved else '')
        history.append({'epoch': epoch, 'train_loss': train_loss, 'train_acc': train_acc,
                        **{'dev_' + k: v for k, v in dev_metrics.items()}})
        if improved:
            save_checkpoint(best_path, model, optimizer, epoch, dev_metrics['acc'], vocab,
                            label2id, args)
        if stop:
            logger.info('early stopping after %d epochs', epoch)
            break

    with open(os.path.join(args.output_dir, 'history.json'), 'w') as f:
        json.dump(history, f, indent=2)

    if args.test:
        test_set = TextClassificationDataset(args.test, vocab=vocab, label2id=label2id,
                                             max_len=args.max_len)
        test_loader = DataLoader(test_set, batch_size=args.eval_batch_size, shuffle=False,
                                 collate_fn=collate)
        state = torch.load(best_path, map_location=device)
        model.load_state_dict(state['model'])
        test_metrics = evaluate(model, test_loader, criterion, device, num_classes)
        logger.info('test: %s', json.dumps(test_metrics))


if __name__ == '__main__':
    main()
