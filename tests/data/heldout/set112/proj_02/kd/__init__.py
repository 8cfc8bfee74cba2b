"""Knowledge-distillation toolkit: models, data, losses and the train/eval engine."""
