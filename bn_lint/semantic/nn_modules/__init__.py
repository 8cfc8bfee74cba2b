"""Which expressions hold a BatchNorm-bearing module, and how code runs and builds modules."""
