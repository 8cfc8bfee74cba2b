import argparse
import logging
import os

import numpy as np
import torch
from torch import nn
from torch.nn import LeakyReLU, Linear
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, Dataset


# SemiBin/semi_supervised_model.py
class Semi_encoding_single(torch.nn.Module):
    """
    Model for k-mer features
    """
    def __init__(self, num):
        super(Semi_encoding_single, self).__init__()
        self.encoder1 = torch.nn.Sequential(
            Linear(num, 512),
            nn.BatchNorm1d(512),
            LeakyReLU(),
            nn.Dropout(0.2),
            Linear(512, 512),
            nn.BatchNorm1d(512),
            LeakyReLU(),
            nn.Dropout(0.2),
            Linear(512, 100),
        )

    def forward(self, input1, input2):
        return self.encoder1(input1), self.encoder1(input2)

    def embedding(self, input):
        return self.encoder1(input)


class feature_Dataset(Dataset):
    def __init__(self, embedding1_lists, embedding2_lists, label_lists):
        self.embedding1_lists = embedding1_lists
        self.embedding2_lists = embedding2_lists
        self.label_lists = label_lists

    def __getitem__(self, item):
        return self.embedding1_lists[item], self.embedding2_lists[item], self.label_lists[item]

    def __len__(self):
        return len(self.embedding1_lists)


# SemiBin/self_supervised_model.py
def loss_function(embedding1, embedding2, label):
    relu = torch.nn.ReLU()
    d = torch.norm(embedding1 - embedding2, p=2, dim=1)
    square_pred = torch.square(d)
    margin_square = torch.square(relu(1 - d))
    return torch.mean(label * square_pred + (1 - label) * margin_square)


def train_self(out, logger, datapaths, data_splits, is_combined=True,
               batchsize=2048, epoches=15, device=None, num_process=8, mode='single'):
    """
    Train model from one sample(--mode single) or several samples(--mode several)
    """
    import pandas as pd

    train_data = pd.read_csv(datapaths[0], index_col=0).values
    train_data_input = train_data[:, 0:136]
    torch.set_num_threads(num_process)

    logger.info('Training model...')
    model = Semi_encoding_single(train_data_input.shape[1]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)

    for epoch in range(epoches):
        for data_index in range(len(datapaths)):
            data = pd.read_csv(datapaths[data_index], index_col=0)
            data_split = pd.read_csv(data_splits[data_index], index_col=0)

            train_data_input = data.values[:, 0:136]
            train_data_must_link = data_split.values
            train_data_split_input = train_data_must_link

            data_length = len(train_data_input)
            n_samples = min(len(train_data_split_input) * 1000 // 2, 4000000)
            indices1 = np.random.choice(data_length, size=n_samples)
            indices2 = indices1 + 1 + np.random.choice(data_length - 1, size=n_samples)
            indices2 %= data_length
            train_labels = [0] * n_samples

            train_input_1 = []
            train_input_2 = []
            for index1, index2 in zip(indices1, indices2):
                train_input_1.append(train_data_input[index1])
                train_input_2.append(train_data_input[index2])

            for i in range(0, len(train_data_must_link), 2):
                train_input_1.append(train_data_split_input[i])
                train_input_2.append(train_data_split_input[i + 1])
                train_labels.append(1)

            dataset = feature_Dataset(train_input_1, train_input_2, train_labels)
            train_loader = DataLoader(
                dataset=dataset,
                batch_size=batchsize,
                shuffle=True,
                num_workers=0)

            for train_input1, train_input2, train_label in train_loader:
                model.train()
                train_input1 = train_input1.to(device)
                train_input2 = train_input2.to(device)
                train_label = train_label.to(device)
                embedding1, embedding2 = model.forward(train_input1.float(), train_input2.float())
                optimizer.zero_grad()
                supervised_loss = loss_function(embedding1.double(), embedding2.double(), train_label.double())
                supervised_loss = supervised_loss.to(device)
                supervised_loss.backward()
                optimizer.step()
        scheduler.step()

    logger.info('Training finished.')
    torch.save(model, os.path.join(out, 'model.h5'))
    return model


# SemiBin/main.py (train_self subcommand)
def training(logger, data, data_split, batchsize, epoches, output, device, mode):
    return train_self(output, logger, data, data_split, False, batchsize, epoches, device, 8, mode)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--data', nargs='*', required=True)
    parser.add_argument('--data-split', nargs='*', required=True, dest='data_split')
    parser.add_argument('--batch-size', required=False, type=int,
                        help='Batch size used in the training process (Default: 2048).',
                        dest='batchsize', default=2048)
    parser.add_argument('--epoches', required=False, type=int, default=15)
    parser.add_argument('-o', '--output', required=True)
    args = parser.parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    training(logging.getLogger('SemiBin'), args.data, args.data_split, args.batchsize, args.epoches,
             args.output, device, 'single')


if __name__ == '__main__':
    main()
