import argparse

import numpy as np
import torch

from SpeakerNet import ModelTrainer, SpeakerNet, WrappedModel

parser = argparse.ArgumentParser()
parser.add_argument("--model", type=str, default="ResNetSE")
parser.add_argument("--optimizer", type=str, default="adam")
parser.add_argument("--nPerSpeaker", type=int, default=1)
parser.add_argument("--initial_model", type=str, default="")
parser.add_argument("--gpu", type=int, default=0)


def main_worker(args, dataset):
    s = SpeakerNet(**vars(args))
    s = WrappedModel(s).cuda(args.gpu)
    trainer = ModelTrainer(s, **vars(args))
    if args.initial_model != "":
        trainer.loadParameters(args.initial_model)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False)
    out_list = []
    for idx, data in enumerate(loader):
        out = s.forward(data[0][0]).detach().cpu().numpy()
        out_list.append(out)
    np.save("embeddings.npy", np.stack(out_list))


if __name__ == "__main__":
    main_worker(parser.parse_args(), [])
