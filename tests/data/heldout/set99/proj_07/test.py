"""Streaming evaluation: slide a 1 s window over long recordings and report
false accepts per hour, one utterance at a time (batch size 1)."""
import argparse

import torch
import torchaudio

import models

KEYWORDS = ('yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go')


def load_model(path, device):
    ckpt = torch.load(path, map_location='cpu')
    model = models.create(ckpt['arch'])
    model.load_state_dict(ckpt['teacher'])
    model.train(False)
    return model.to(device)


@torch.inference_mode()
def stream(model, wav, window=16000, hop=1600, threshold=0.9, device='cpu'):
    detections = []
    for start in range(0, max(wav.numel() - window, 0) + 1, hop):
        chunk = wav[start:start + window].unsqueeze(0).to(device)
        probs = torch.softmax(model(chunk), dim=1)[0]
        conf, idx = probs.max(0)
        if conf.item() >= threshold:
            detections.append((start / 16000.0, idx.item(), conf.item()))
    return detections


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--audio', nargs='+', required=True)
    p.add_argument('--threshold', type=float, default=0.9)
    args = p.parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    model = load_model(args.checkpoint, device)
    total_hours, total_fa = 0.0, 0
    for path in args.audio:
        wav, sr = torchaudio.load(path)
        if sr != 16000:
            wav = torchaudio.functional.resample(wav, sr, 16000)
        wav = wav.mean(0)
        dets = stream(model, wav, threshold=args.threshold, device=device)
        total_hours += wav.numel() / 16000.0 / 3600.0
        total_fa += len(dets)
        print('{}: {} detections'.format(path, len(dets)))
    print('false accepts / hour: {:.2f}'.format(total_fa / max(total_hours, 1e-9)))


if __name__ == '__main__':
    main()
