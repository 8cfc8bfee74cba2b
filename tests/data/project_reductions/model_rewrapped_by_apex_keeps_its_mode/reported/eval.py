import argparse
import torch
from model import Generator


def test(dataloader, generator):
    for x in dataloader:
        out = generator(x)
        print(out.mean().item())


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--distributed', action='store_true')
    args = parser.parse_args()
    dataloader = torch.load('data.pt')
    generator = Generator()
    if args.distributed:
        import apex.parallel as parallel
        generator = parallel.DistributedDataParallel(generator)
        generator = parallel.convert_syncbn_model(generator)
    generator.load_state_dict(torch.load('ckpt.pt'))
    test(dataloader, generator)
