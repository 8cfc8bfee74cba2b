import torchvision.models as models


class Model:
    def __init__(self, device="cpu"):
        self.model = models.densenet121()
        self.example_inputs = (load_images(),)

    def get_module(self):
        return self.model, self.example_inputs

    def eval(self, niter=1):
        model, example_inputs = self.model, self.example_inputs
        for i in range(niter):
            model(example_inputs[0])


if __name__ == "__main__":
    m = Model(device="cuda")
    m.eval(niter=1)
