from models import create_model


def save_images(model):
    visuals = model.get_current_visuals()
    return list(visuals)


if __name__ == '__main__':
    opt = None
    dataset = []
    val_dataset = []
    model = create_model(opt)
    for epoch in range(10):
        for data in dataset:
            model.set_input(data)
            model.optimize_parameters()
        model.update_learning_rate()
        for val_data in val_dataset:
            model.set_input(val_data)
            model.eval()
            model.test()
            save_images(model)
