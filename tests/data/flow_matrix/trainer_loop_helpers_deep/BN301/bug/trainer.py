class Trainer:
    """fit -> _epoch -> _run -> _loop: the training loop four calls down."""

    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def fit(self, loader, epochs=3):
        for _ in range(epochs):
            self._epoch(loader)

    def _epoch(self, loader):
        self._run(loader)

    def _run(self, loader):
        self._loop(loader)

    def _loop(self, loader):
        self.model.train()
        for x, y in loader:
            loss = (self.model(x).squeeze(1) - y).pow(2).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
