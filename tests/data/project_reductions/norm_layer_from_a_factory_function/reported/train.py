from models.pix2pix_model import Pix2PixModel


def create_model(opt):
    return Pix2PixModel(opt)


if __name__ == '__main__':
    opt = None
    dataset = []
    val_dataset = []
    model = Pix2PixModel(opt)
    for epoch in range(10):
        for data in dataset:
            model.set_input(data)
            model.optimize_parameters()
        for val_data in val_dataset:
            model.set_input(val_data)
            model.test()
