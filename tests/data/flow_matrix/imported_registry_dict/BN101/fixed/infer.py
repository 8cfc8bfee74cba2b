import torch
from torch.utils.data import DataLoader
from nets import global_models_dict


def validate_network(model, loader):
    model.eval()
    for x in loader:
        model(x)


def inference_loop(data, device, parameters):
    model = global_models_dict[parameters["architecture"]](parameters=parameters)
    main_dict = torch.load("best.pth.tar", map_location=torch.device(device))
    model.load_state_dict(main_dict["model_state_dict"])
    model.eval()

    if parameters["modality"] == "rad":
        validate_network(model, DataLoader(data, batch_size=1))
    elif parameters["modality"] in ["path", "histo"]:
        for row in data:
            dataloader = DataLoader(row, batch_size=1)
            for image_patches in dataloader:
                output = model(image_patches.float())
                output = output.detach().cpu().numpy()
