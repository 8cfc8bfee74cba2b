import torch

from clap import AudioEncoder


def main():
    encoder = AudioEncoder()
    encoder.load_state_dict(torch.load("clap_best.pt"))
    encoder.eval()
    clip = torch.load("clip.pt")
    embedding = encoder.describe_clip([clip])
    print(embedding.tolist())


if __name__ == "__main__":
    main()
