import torch
import yaml

from pkg.speaker_model import get_speaker_model


def main():
    with open("config.yaml") as fin:
        configs = yaml.load(fin, Loader=yaml.FullLoader)
    model = get_speaker_model(configs['model'])(**configs['model_args'])
    script_model = torch.jit.script(model)
    script_model.save("out.pt")


if __name__ == '__main__':
    main()
