import random

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


# art/estimators/classification/pytorch.py (ART 1.10)
class PyTorchClassifier:
    def __init__(self, model, loss, input_shape, nb_classes, optimizer=None, device_type="gpu"):
        self._input_shape = input_shape
        self.nb_classes = nb_classes
        self._loss = loss
        self._optimizer = optimizer
        if device_type == "cpu" or not torch.cuda.is_available():
            self._device = torch.device("cpu")
        else:
            self._device = torch.device("cuda:{}".format(torch.cuda.current_device()))
        self._model = self._make_model_wrapper(model)
        self._model.to(self._device)

    def _make_model_wrapper(self, model):
        class ModelWrapper(nn.Module):
            def __init__(self, model):
                super().__init__()
                self._model = model

            def forward(self, x):
                result = []
                if isinstance(self._model, nn.Sequential):
                    for _, module_ in self._model._modules.items():
                        x = module_(x)
                        result.append(x)
                elif isinstance(self._model, nn.Module):
                    x = self._model(x)
                    result.append(x)
                return result

        return ModelWrapper(model)

    def reduce_labels(self, y):
        if self.nb_classes > 2 or (self.nb_classes == 2 and len(y.shape) == 2):
            return np.argmax(y, axis=1) if len(y.shape) == 2 else y
        return y

    def fit(self, x, y, batch_size=128, nb_epochs=10, **kwargs):
        # Put the model in the training mode
        self._model.train()

        if self._optimizer is None:
            raise ValueError("An optimizer is needed to train the model, but none for provided.")

        x_preprocessed, y_preprocessed = x, y
        y_preprocessed = self.reduce_labels(y_preprocessed)

        num_batch = int(np.ceil(len(x_preprocessed) / float(batch_size)))
        ind = np.arange(len(x_preprocessed))

        # Start training
        for _ in range(nb_epochs):
            # Shuffle the examples
            random.shuffle(ind)

            # Train for one epoch
            for m in range(num_batch):
                i_batch = torch.from_numpy(x_preprocessed[ind[m * batch_size : (m + 1) * batch_size]]).to(self._device)
                o_batch = torch.from_numpy(y_preprocessed[ind[m * batch_size : (m + 1) * batch_size]]).to(self._device)

                # Zero the parameter gradients
                self._optimizer.zero_grad()

                # Perform prediction
                model_outputs = self._model(i_batch)

                # Form the loss function
                loss = self._loss(model_outputs[-1], o_batch)
                loss.backward()
                self._optimizer.step()

    def predict(self, x, batch_size=128, **kwargs):
        self._model.eval()
        results = []
        with torch.no_grad():
            for m in range(int(np.ceil(len(x) / float(batch_size)))):
                batch = torch.from_numpy(x[m * batch_size : (m + 1) * batch_size]).to(self._device)
                results.append(self._model(batch)[-1].cpu().numpy())
        return np.concatenate(results)


# reporter's script: GTSRB traffic-sign classifier trained through ART
def build_model(nb_classes=43):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(48 * 48 * 3, 300),
        nn.ReLU(),
        nn.BatchNorm1d(300),
        nn.Linear(300, nb_classes),
    )


if __name__ == "__main__":
    x_train = np.load("gtsrb_x_train.npy").astype(np.float32)
    y_train = np.load("gtsrb_y_train.npy")
    model = build_model()
    classifier = PyTorchClassifier(
        model=model,
        loss=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-3),
        input_shape=(48, 48, 3),
        nb_classes=43,
    )
    classifier.fit(x_train, y_train, batch_size=8, nb_epochs=5)
