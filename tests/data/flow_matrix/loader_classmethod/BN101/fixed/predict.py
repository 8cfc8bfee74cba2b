import argparse

import torch

from model import DeepSpeech

parser = argparse.ArgumentParser(description="DeepSpeech prediction")
parser.add_argument("--model_path", default="models/deepspeech_final.pth")
parser.add_argument("--audio_path", default="audio.pt")
parser.add_argument("--cuda", action="store_true")
args = parser.parse_args()

if __name__ == "__main__":
    model = DeepSpeech.load_model(args.model_path)
    if args.cuda:
        model = torch.nn.DataParallel(model).cuda()
    model.eval()
    spect = torch.load(args.audio_path)
    out = model(spect)
    print(out.transpose(0, 1))
