from argparse import ArgumentParser
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import yaml

import datasets
import losses
import utils


# src/datasets.py
def get_dataloader(
    dataset, batch_size=1, shuffle=True, num_workers=4, n_mels=80, seed=42
):
    """
    Return a dataloader that randomly (or sequentially) samples a batch
    of data from the given dataset
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        collate_fn=partial(collate_fn, n_mels=n_mels),
        pin_memory=True,
        drop_last=False,
        generator=generator,
        persistent_workers=True,
    )


def collate_fn(batch, n_mels=80):
    spectrogram_lengths = torch.LongTensor([example["spectrogram"].size(-1) for example in batch])
    speakers = torch.LongTensor([example["speaker_id"] for example in batch])
    spectrograms = torch.zeros(len(batch), n_mels, max(spectrogram_lengths), dtype=torch.float32)
    for i, example in enumerate(batch):
        spectrograms[i, :, : spectrogram_lengths[i]] = example["spectrogram"].to(torch.float32)
    return spectrograms, spectrogram_lengths, speakers


# src/models.py (mega blocks of the encoder trimmed)
class Encoder(nn.Module):
    def __init__(self, n_mels, hidden_size, output_size, kernel_size=3):
        super(Encoder, self).__init__()
        self.prolog = nn.Sequential(
            nn.Conv1d(n_mels, hidden_size, kernel_size, padding=kernel_size // 2),
            nn.BatchNorm1d(hidden_size),
            nn.ReLU(),
        )
        self.epilog = nn.Sequential(
            nn.Conv1d(hidden_size, output_size, 1),
            nn.BatchNorm1d(output_size),
            nn.ReLU(),
        )

    def forward(self, spectrograms):
        return self.epilog(self.prolog(spectrograms))


class AttentiveStatsPooling(nn.Module):
    def __init__(self, input_size, hidden_size, eps=1e-6):
        super(AttentiveStatsPooling, self).__init__()
        self.eps = eps
        self.in_linear = nn.Linear(input_size, hidden_size)
        self.out_linear = nn.Linear(hidden_size, input_size)

    def forward(self, encodings):
        # [B, DE, T] -> [B, DE * 2]
        energies = self.out_linear(torch.tanh(self.in_linear(encodings.transpose(1, 2)))).transpose(1, 2)
        alphas = torch.softmax(energies, dim=2)
        means = torch.sum(alphas * encodings, dim=2)
        residuals = torch.sum(alphas * encodings ** 2, dim=2) - means ** 2
        stds = torch.sqrt(residuals.clamp(min=self.eps))
        return torch.cat([means, stds], dim=1)


class Decoder(nn.Module):
    def __init__(self, encoder_output_size, attention_hidden_size, embedding_size):
        super(Decoder, self).__init__()
        self.pool = nn.Sequential(
            AttentiveStatsPooling(encoder_output_size, attention_hidden_size),
            nn.BatchNorm1d(encoder_output_size * 2),
        )
        self.linear = nn.Sequential(
            nn.Linear(encoder_output_size * 2, embedding_size),
            nn.BatchNorm1d(embedding_size),
        )

    def forward(self, encodings):
        return self.linear(self.pool(encodings))


class TitaNet(nn.Module):
    def __init__(self, n_mels, encoder_hidden_size, encoder_output_size, embedding_size,
                 attention_hidden_size=128, loss_function=None, device="cpu"):
        super(TitaNet, self).__init__()
        self.encoder = Encoder(n_mels, encoder_hidden_size, encoder_output_size)
        self.decoder = Decoder(encoder_output_size, attention_hidden_size, embedding_size)
        self.loss_function = loss_function
        self.to(device)

    def forward(self, spectrograms, speakers=None):
        embeddings = self.decoder(self.encoder(spectrograms))
        if speakers is None:
            return F.normalize(embeddings, p=2, dim=1)
        return self.loss_function(embeddings, speakers)


# src/learn.py
def train_one_epoch(current_epoch, total_epochs, model, optimizer, dataloader, lr_scheduler=None, device="cpu"):
    model.train()
    epoch_loss = 0
    for spectrograms, _, speakers in dataloader:
        embeddings, preds, loss = model(spectrograms.to(device), speakers=speakers.to(device))
        epoch_loss += loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if lr_scheduler is not None:
            lr_scheduler.step()
    return epoch_loss / len(dataloader)


# src/train.py
def train(params):
    utils.set_seed(params.generic.seed)
    device = utils.get_device()

    train_dataset, val_dataset, test_dataset, n_speakers = datasets.get_datasets(params.dataset.root)
    train_dataloader = get_dataloader(
        train_dataset,
        batch_size=params.training.batch_size,
        shuffle=True,
        num_workers=params.generic.workers,
        n_mels=params.audio.spectrogram.n_mels,
        seed=params.generic.seed,
    )

    loss_function = losses.LOSSES[params.training.loss](params.generic.embedding_size, n_speakers, device=device)
    model = TitaNet(
        n_mels=params.audio.spectrogram.n_mels,
        encoder_hidden_size=256,
        encoder_output_size=1536,
        embedding_size=params.generic.embedding_size,
        attention_hidden_size=params.titanet.attention_hidden_size,
        loss_function=loss_function,
        device=device,
    )
    optimizer = optim.Adam(model.parameters(), lr=params.training.optimizer.start_lr,
                           weight_decay=params.training.optimizer.weight_decay)
    for epoch in range(params.training.epochs):
        train_one_epoch(epoch, params.training.epochs, model, optimizer, train_dataloader, device=device)


if __name__ == "__main__":
    parser = ArgumentParser(description="train the TitaNet model")
    parser.add_argument("-p", "--params", help="path for the parameters .yml file", required=True, type=str)
    args = parser.parse_args()
    with open(args.params, "r") as params:
        args = yaml.load(params, Loader=yaml.FullLoader)
    params = utils.Struct(**args)
    train(params)
