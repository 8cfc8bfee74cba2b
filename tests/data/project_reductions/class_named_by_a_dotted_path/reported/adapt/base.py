class Runner:
    def __init__(self):
        self.backend = None
        self.optimizer = None

    def step(self, batch, training=True):
        if training:
            self.optimizer.zero_grad()
        loss = self.backend(batch["image"]).mean()
        if training:
            loss.backward()
            self.optimizer.step()
        return loss.item()
