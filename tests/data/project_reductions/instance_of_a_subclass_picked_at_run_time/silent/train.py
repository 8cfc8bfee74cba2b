from models import create_model


if __name__ == '__main__':
    opt = None
    dataset = []
    val_dataset = []
    model = create_model(opt)
    for epoch in range(10):
        for data in dataset:
            model.set_input(data)
            model.optimize_parameters()
        model.eval()
        for val_data in val_dataset:
            model.set_input(val_data)
            model.test()
        model.train()
