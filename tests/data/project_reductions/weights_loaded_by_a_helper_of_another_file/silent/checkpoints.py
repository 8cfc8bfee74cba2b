import torch


def load_existing_model(model, run_dir):
    state = torch.load(f"{run_dir}/best.pt", map_location="cpu")
    model.load_state_dict(state["model"])


def prepare(model, run_dir):
    load_existing_model(model, run_dir)
