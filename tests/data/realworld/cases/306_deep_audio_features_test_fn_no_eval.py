import argparse
import pickle

import numpy
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from deep_audio_features.bin.config import SPECTOGRAM_SIZE
from deep_audio_features.dataloading.dataloading import FeatureExtractorDataset
from deep_audio_features.utils.model_editing import drop_layers


class CNN1(nn.Module):
    def __init__(self, height, width, output_dim=7, first_channels=32,
                 kernel_size=5, stride=1, padding=2, zero_pad=False,
                 spec_size=SPECTOGRAM_SIZE,
                 fuse=False, type='classifier'):
        super(CNN1, self).__init__()
        self.zero_pad = zero_pad
        self.spec_size = spec_size
        self.fuse = fuse
        self.type = type
        self.num_cnn_layers = 4
        self.cnn_channels = 2
        self.output_dim = output_dim
        self.height = height
        self.width = width
        self.first_channels = first_channels
        self.kernel_size = kernel_size
        self.stride = stride

        self.conv_layer1 = nn.Sequential(
            nn.Conv2d(1, first_channels, kernel_size=5,
                      stride=stride, padding=padding),
            nn.BatchNorm2d(first_channels),
            nn.LeakyReLU(),
            nn.MaxPool2d(kernel_size=2))
        if type == 'classifier':

            self.conv_layer2 = nn.Sequential(
                nn.Conv2d(first_channels, self.cnn_channels * first_channels,
                          kernel_size=5, stride=stride, padding=padding),
                nn.BatchNorm2d(self.cnn_channels * first_channels),
                nn.LeakyReLU(),
                nn.MaxPool2d(kernel_size=2)
            )
            self.conv_layer3 = nn.Sequential(
                nn.Conv2d(self.cnn_channels * first_channels,
                          (self.cnn_channels ** 2) * first_channels,
                          kernel_size=5, stride=stride, padding=padding),
                nn.BatchNorm2d((self.cnn_channels ** 2) * first_channels),
                nn.LeakyReLU(),
                nn.MaxPool2d(kernel_size=2)
            )

            self.conv_layer4 = nn.Sequential(
                nn.Conv2d((self.cnn_channels ** 2) * first_channels,
                          (self.cnn_channels ** 3) * first_channels,
                          kernel_size=5, stride=stride, padding=padding),
                nn.BatchNorm2d((self.cnn_channels ** 3) * first_channels),
                nn.LeakyReLU(),
                nn.MaxPool2d(kernel_size=2)
            )
            self.linear_layer1 = nn.Sequential(
                nn.Dropout(0.75),
                nn.Linear(self.calc_out_size(), 1024),
                nn.LeakyReLU()
            )

            self.linear_layer2 = nn.Sequential(
                nn.Dropout(0.5),
                nn.Linear(1024, 256),
                nn.LeakyReLU()
            )
            self.linear_layer3 = nn.Sequential(
                nn.Linear(256, output_dim),
                nn.LeakyReLU()
            )

    def forward(self, x):
        out = self.conv_layer1(x)
        out = self.conv_layer2(out)
        out = self.conv_layer3(out)
        out = self.conv_layer4(out)

        if self.type == 'classifier':
            out = out.view(out.size(0), -1)
            out = self.linear_layer1(out)
            out = self.linear_layer2(out)
            out = self.linear_layer3(out)

        return out

    def calc_out_size(self):
        height = int(self.height / 16)
        width = int(self.width / 16)
        kernels = (self.cnn_channels ** (self.num_cnn_layers - 1)) * \
            self.first_channels
        return kernels * height * width


def load_cnn(model_path):
    with open(model_path, "rb") as input_file:
        model_params = pickle.load(input_file)

    model = CNN1(height=model_params["height"], width=model_params["width"], output_dim=model_params["output_dim"],
                 zero_pad=model_params["zero_pad"], spec_size=model_params["spec_size"], fuse=model_params["fuse"],
                 type=model_params["type"])
    model.max_sequence_length = model_params["max_sequence_length"]
    model.load_state_dict(model_params["state_dict"])

    return model


def test(model, dataloader, cnn=False, classifier=True):
    device = next(model.parameters()).device

    posteriors = []
    y_pred = []
    y_true = []
    for index, batch in enumerate(dataloader, 1):
        inputs, labels, lengths = batch

        inputs = inputs.to(device)
        labels = labels.type('torch.LongTensor').to(device)

        if cnn is False:
            out = model.forward(inputs, lengths)
        else:
            inputs = inputs[:, np.newaxis, :, :]
            out = model.forward(inputs)

        if classifier is False:
            posteriors.append(out.cpu().detach().numpy())
            y_pred.append(None)
            y_true.append(None)
        else:
            predictions = torch.argmax(out, -1)
            y_pred.append(predictions.cpu().data.numpy())
            y_true.append(labels.cpu().data.numpy())
            posteriors.append(out[0].cpu().detach().numpy())
    if classifier is True:
        y_pred = np.array(y_pred).flatten()
        y_true = np.array(y_true).flatten()

    return posteriors, y_pred, y_true


def test_model(modelpath, ifile, layers_dropped,
               test_segmentation=False, verbose=True):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_cnn(modelpath).to(device)

    max_seq_length = model.max_sequence_length

    zero_pad = model.zero_pad
    spec_size = model.spec_size
    fuse = model.fuse

    model = drop_layers(model, layers_dropped)
    model.max_sequence_length = max_seq_length

    model.to(device)

    test_set = FeatureExtractorDataset(X=[ifile],
                                       y=[0],
                                       fe_method="MEL_SPECTROGRAM",
                                       oversampling=False,
                                       max_sequence_length=max_seq_length,
                                       zero_pad=zero_pad,
                                       forced_size=spec_size,
                                       fuse=fuse, show_hist=False,
                                       test_segmentation=test_segmentation)

    test_loader = DataLoader(dataset=test_set, batch_size=1,
                             num_workers=4, drop_last=False,
                             shuffle=False)

    posteriors, y_pred, _ = test(model=model, dataloader=test_loader,
                                 cnn=True,
                                 classifier=True if layers_dropped == 0
                                 else False)

    if verbose:
        print("--> Unormalized posteriors:\n {}\n".format(posteriors))
        print("--> Predictions:\n {}".format(y_pred))

    return y_pred, numpy.array(posteriors)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('-m', '--model', required=True, type=str, help='Model')
    parser.add_argument('-i', '--input', required=True, type=str, help='Input file for testing')
    parser.add_argument('-s', '--segmentation', required=False, action='store_true',
                        help='Return segment predictions')
    parser.add_argument('-L', '--layers', required=False, default=0,
                        help='Number of final layers to cut. Default is 0.')
    args = parser.parse_args()

    d, p = test_model(modelpath=args.model, ifile=args.input,
                      layers_dropped=int(args.layers),
                      test_segmentation=args.segmentation)
