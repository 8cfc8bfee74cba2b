class SVMTrainer:
    def _predict(self, model, X_valid):
        return model.predict_proba(X_valid)[:, 1]
