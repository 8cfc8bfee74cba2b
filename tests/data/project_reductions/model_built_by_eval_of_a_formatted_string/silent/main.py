import torch
import models


def runExperiment(dataset, name):
    ae = eval('models.{}()'.format(name))
    ae.eval()
    test(dataset, ae)


def test(dataset, ae):
    with torch.no_grad():
        for i, input in enumerate(dataset):
            input['uvw'] = ae(input['ncode'])
    return


if __name__ == "__main__":
    runExperiment([], 'vqvae')
