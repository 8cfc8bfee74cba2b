class TranslatorBase:
    def train(self, x):
        self._train(x)

    def translate(self, x):
        return self._translate(x)
