import torch
import torchvision


class Pretrainer:
    def fit(self, loader, probe_images, epochs=100):
        model = torchvision.models.resnet18()
        optimizer = torch.optim.Adam(model.parameters(), 3e-4)
        for epoch in range(epochs):
            for x in loader:
                optimizer.zero_grad()
                loss = self.loss(model, x)
                loss.backward()
                optimizer.step()
            if epoch % 5 == 0:
                model.eval()
                with torch.no_grad():
                    print(model(probe_images).argmax(1))
        return model

    def loss(self, model, x):
        return model(x).logsumexp(1).mean()
