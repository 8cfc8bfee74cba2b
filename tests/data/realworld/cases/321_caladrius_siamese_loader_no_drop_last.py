import argparse
import copy
import os
import time
from collections import OrderedDict

import torch
import torchvision
import torchvision.transforms as transforms
from PIL import Image
from torch import nn
from torch.nn.modules import loss as nnloss
from torch.optim import Adam
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.utils.data import DataLoader, Dataset


# caladrius/utils.py
def configuration():
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--checkpointPath', type=str, default=os.path.join('.', 'runs'))
    parser.add_argument('--dataPath', type=str, default=os.path.join('.', 'data', 'Sint-Maarten-2017'))
    parser.add_argument('--runName', type=str, default='{:.0f}'.format(time.time()))
    parser.add_argument('--numberOfWorkers', type=int, default=8)
    parser.add_argument('--disableCuda', action='store_true')
    parser.add_argument('--inputSize', type=int, default=32)
    parser.add_argument('--numberOfEpochs', type=int, default=100)
    parser.add_argument('--batchSize', type=int, default=32, help='batch size for training')
    parser.add_argument('--learningRate', type=float, default=0.001)
    parser.add_argument('--test', action='store_true', default=False)
    parser.add_argument('--maxDataPoints', default=None, type=int)
    args = parser.parse_args()
    arg_vars = vars(args)
    if torch.cuda.is_available() and not arg_vars['disableCuda']:
        arg_vars['device'] = torch.device('cuda:0')
    else:
        arg_vars['device'] = torch.device('cpu')
    return args


# caladrius/model/network.py
def get_pretrained_iv3(output_size):
    model_conv = torchvision.models.inception_v3(pretrained=True)

    for i, param in model_conv.named_parameters():
        param.requires_grad = False

    num_ftrs = model_conv.fc.in_features
    model_conv.fc = nn.Linear(num_ftrs, output_size)

    ct = []
    for name, child in model_conv.named_children():
        if 'Conv2d_4a_3x3' in ct:
            for params in child.parameters():
                params.requires_grad = True
        ct.append(name)
    return model_conv


def get_pretrained_iv3_transforms(set_name):
    mean = [0.5, 0.5, 0.5]
    std = [0.5, 0.5, 0.5]
    train_transform = transforms.Compose([
        transforms.Resize(360),
        transforms.RandomResizedCrop(299),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std)])
    test_transform = transforms.Compose([
        transforms.Resize(360),
        transforms.CenterCrop(299),
        transforms.ToTensor(),
        transforms.Normalize(mean, std)])
    return {'train': train_transform, 'validation': test_transform, 'test': test_transform}[set_name]


class SiameseNetwork(nn.Module):
    def __init__(self, output_size=512, similarity_layers_sizes=[512, 512], dropout=0.5):
        super().__init__()
        self.left_network = get_pretrained_iv3(output_size)
        self.right_network = get_pretrained_iv3(output_size)

        similarity_layers = OrderedDict()
        similarity_layers["layer_0"] = nn.Linear(output_size * 2, similarity_layers_sizes[0])
        similarity_layers["relu_0"] = nn.ReLU(inplace=True)
        similarity_layers["bn_0"] = nn.BatchNorm1d(similarity_layers_sizes[0])
        if dropout:
            similarity_layers["dropout_0"] = nn.Dropout(dropout, inplace=True)
        prev_hidden_size = similarity_layers_sizes[0]
        for idx, hidden in enumerate(similarity_layers_sizes[1:], 1):
            similarity_layers["layer_{}".format(idx)] = nn.Linear(prev_hidden_size, hidden)
            similarity_layers["relu_{}".format(idx)] = nn.ReLU(inplace=True)
            similarity_layers["bn_{}".format(idx)] = nn.BatchNorm1d(hidden)
            if dropout:
                similarity_layers["dropout_{}".format(idx)] = nn.Dropout(dropout, inplace=True)

        self.similarity = nn.Sequential(similarity_layers)
        self.output = nn.Linear(hidden, 1)

    def forward(self, image_1, image_2):
        left_features = self.left_network(image_1)
        right_features = self.right_network(image_2)
        if self.training:
            left_features = left_features[0]
            right_features = right_features[0]
        features = torch.cat([left_features, right_features], 1)
        return self.output(self.similarity(features))


# caladrius/model/data.py
class CaladriusDataset(Dataset):
    def __init__(self, directory, transforms=None, max_data_points=None):
        self.directory = directory
        with open(os.path.join(directory, 'labels.txt')) as labels_file:
            self.datapoints = [x.strip() for x in labels_file.readlines()]
        if max_data_points is not None:
            self.datapoints = self.datapoints[:max_data_points]
        self.transforms = transforms

    def __len__(self):
        return len(self.datapoints)

    def __getitem__(self, idx):
        filename, damage = self.datapoints[idx].split(' ')
        before_image = Image.open(os.path.join(self.directory, 'before', filename))
        after_image = Image.open(os.path.join(self.directory, 'after', filename))
        if self.transforms:
            before_image = self.transforms(before_image)
            after_image = self.transforms(after_image)
        return filename, before_image, after_image, float(damage)


class Datasets(object):
    def __init__(self, args, transforms):
        self.dataPath = args.dataPath
        self.batchSize = args.batchSize
        self.transforms = transforms
        self.numberOfWorkers = args.numberOfWorkers
        self.maxDataPoints = args.maxDataPoints

    def load(self, set_name):
        assert set_name in {'train', 'validation', 'test'}
        dataset = CaladriusDataset(os.path.join(self.dataPath, set_name), transforms=self.transforms[set_name],
                                   max_data_points=self.maxDataPoints)
        dataLoader = DataLoader(dataset, batch_size=self.batchSize, shuffle=(set_name == 'train'), num_workers=self.numberOfWorkers)
        return dataset, dataLoader


# caladrius/model/trainer.py
class QuasiSiameseNetwork(object):
    def __init__(self, args):
        self.run_name = args.runName
        self.lr = args.learningRate
        self.criterion = nnloss.MSELoss()
        self.model = SiameseNetwork()
        if torch.cuda.device_count() > 1:
            self.model = nn.DataParallel(self.model)
        self.transforms = {s: get_pretrained_iv3_transforms(s) for s in ('train', 'validation', 'test')}
        self.optimizer = Adam(self.model.parameters(), lr=self.lr)
        self.lr_scheduler = ReduceLROnPlateau(self.optimizer, factor=0.1, patience=10, min_lr=1e-5)

    def run_epoch(self, epoch, loader, device, phase='train', accuracy_threshold=0.1):
        assert phase in ('train', 'validation', 'test')
        self.model = self.model.to(device)

        self.model.eval()
        if phase == 'train':
            self.model.train()

        running_loss, running_corrects, running_n = 0.0, 0, 0.0
        for idx, (filename, image1, image2, labels) in enumerate(loader, 1):
            image1, image2 = image1.to(device), image2.to(device)
            labels = labels.float().to(device)
            if phase == 'train':
                self.optimizer.zero_grad()
            with torch.set_grad_enabled(phase == 'train'):
                outputs = self.model(image1, image2).squeeze()
                loss = self.criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    self.optimizer.step()
            running_loss += loss.item() * image1.size(0)
            running_corrects += (outputs - labels.data).abs().le(accuracy_threshold).sum()
            running_n += image1.size(0)
        return running_loss / running_n, running_corrects.double() / running_n

    def train(self, n_epochs, datasets, device, save_path):
        train_set, train_loader = datasets.load('train')
        validation_set, validation_loader = datasets.load('validation')
        best_accuracy, best_model_wts = 0.0, copy.deepcopy(self.model.state_dict())
        for epoch in range(1, n_epochs + 1):
            self.run_epoch(epoch, train_loader, device, phase='train')
            validation_loss, validation_accuracy = self.run_epoch(epoch, validation_loader, device, phase='validation')
            self.lr_scheduler.step(validation_loss)
            if validation_accuracy > best_accuracy:
                best_accuracy = validation_accuracy
                best_model_wts = copy.deepcopy(self.model.state_dict())
                torch.save(best_model_wts, save_path)

    def test(self, datasets, device, load_path):
        self.model.load_state_dict(torch.load(load_path, map_location=device))
        test_set, test_loader = datasets.load('test')
        self.run_epoch(1, test_loader, device, phase='test')


# caladrius/run.py
def main():
    args = configuration()
    qsn = QuasiSiameseNetwork(args)
    datasets = Datasets(args, qsn.transforms)
    save_path = os.path.join(args.checkpointPath, 'best_model_wts.pkl')
    if not args.test:
        qsn.train(args.numberOfEpochs, datasets, args.device, save_path)
    qsn.test(datasets, args.device, save_path)


if __name__ == '__main__':
    main()
