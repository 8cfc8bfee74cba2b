"""The shared evaluators over the file model: argument binding, branches a call cannot run, configs."""
