class TranslatorBase:
    def train(self, x):
        self._train(x)

    def translate(self, x):
        self.model.eval()
        return self._translate(x)
