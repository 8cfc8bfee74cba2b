"""ptutils Runner / Model (trimmed)."""
import logging

import torch.nn as nn
import torch.optim as optim
from torch.autograd import Variable

from ptutils.base import Base

logging.basicConfig()
log = logging.getLogger(__name__)
log.setLevel('DEBUG')


class Model(Base):

    def __init__(self,
                 net=None,
                 criterion=None,
                 optimizer=None,
                 **kwargs):
        super(Model, self).__init__(**kwargs)

        self.net = net
        self.criterion = criterion
        self.optimizer = optimizer
        self._loss = None

    def forward(self, input):
        input_var = Variable(input)
        input_var = input_var.cuda(self.devices) if self.use_cuda else input_var
        return self.net(input_var)

    def loss(self, output, target):
        target_var = Variable(target)
        target_var = target_var.cuda(self.devices) if self.use_cuda else target_var
        loss = self.criterion(output, target_var)
        return loss

    def compute_gradients(self, loss=None):
        loss.backward()

    def apply_gradients(self):
        self.optimizer.step()

    def eval(self):
        """Set up model for evaluation."""
        self.net.eval()

    def optimize(self, loss=None):
        self.compute_gradients(loss=loss)
        self.apply_gradients()
        self.optimizer.zero_grad()

    def step(self, inputs):
        input, target = inputs
        output = self.forward(input)
        self._loss = self.loss(output, target)
        self.optimize(self._loss)
        return {'loss': self._loss}


class MNISTModel(Model):

    def __init__(self, *args, **kwargs):
        super(MNISTModel, self).__init__(*args, **kwargs)
        self.net = MNIST()
        self.learning_rate = 1e-3
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = optim.Adam(self.net.parameters(), self.learning_rate)


class MNIST(nn.Module, Base):

    def __init__(self):
        super(MNIST, self).__init__()

        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, padding=2),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2))
        self.layer2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=5, padding=2),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2))
        self.fc = nn.Linear(7 * 7 * 32, 10)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = out.view(out.size(0), -1)
        out = self.fc(out)
        return out


class Runner(Base):
    """This is the primary PTUtils class for running an experiment."""

    def __init__(self,
                 exp_id,
                 model=None,
                 global_step=None,
                 dbinterface=None,
                 dataprovider=None,
                 train_params=None,
                 validation_params=None,
                 save_params=None,
                 load_params=None,
                 **kwargs):
        super(Runner, self).__init__(**kwargs)

        self.model = model
        self.dbinterface = dbinterface
        self.dataprovider = dataprovider

        self.save_params = save_params
        self.load_params = load_params
        self.train_params = train_params
        self.validation_params = validation_params

        self.exp_id = exp_id
        self.global_step = global_step or 0

    def setup_eval(self):
        """ Set up the model for evaluation.

        If anything needs to be changed about the experiment for inference
        (e.g. the model's Dropout or Batch Norm), that should be taken care of here.
        """
        self.model.eval()

    def step(self, prev_output):
        """ Define a single step of an experiment."""
        data = self.dataprovider.provide(prev_output, mode='train')
        output = self.model.step(data)
        self.global_step += 1

        log.info('step: {}; loss: {}'.format(self.global_step,
                                             output['loss'].item()))
        return output

    def train(self):
        """ Define the primary training loop.

        The default behavior is to step the trainer and
        save intermediate results.
        """
        model_output = None
        for step in range(self.global_step, self.train_params['num_steps']):
            model_output = self.step(model_output)

            if self.global_step % self.save_params['metric_freq'] == 0:
                record = {'exp_id': self.exp_id,
                          'step': self.global_step,
                          'loss': model_output['loss'],
                          }
                log.info("Saving step {}".format(self.global_step))
                self.dbinterface.save(record)

            if self.validation_params and self.global_step % self.save_params['val_freq'] == 0:
                # validation
                self.test()

    def predict(self, prev_output=None):
        """ Perform a single inference pass."""
        data = self.dataprovider.provide(prev_output, mode='test')[0]
        output = self.model.forward(data)
        return output

    def test(self):
        """ Perform inference for several batches of data and save the result.
        """
        self.setup_eval()
        model_output = None
        all_model_outputs = []
        for step in range(self.validation_params['num_steps']):
            model_output = self.predict(model_output)
            all_model_outputs.append(model_output)

        record = {'exp_id': self.exp_id,
                  'test_output': all_model_outputs,
                  }
        self.dbinterface.save(record)


if __name__ == '__main__':
    from ptutils.data import MNISTProvider
    from ptutils.database import MongoInterface

    runner = Runner(exp_id='mnist_example_test',
                    model=MNISTModel(use_cuda=True, devices=1),
                    dbinterface=MongoInterface(database_name='ptutils', collection_name='ptutils'),
                    dataprovider=MNISTProvider(n_threads=4, batch_size=256),
                    train_params={'num_steps': 5000},
                    validation_params={'num_steps': 10},
                    save_params={'metric_freq': 100, 'val_freq': 500})
    runner.train()
