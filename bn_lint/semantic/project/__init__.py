"""The project model: definitions across files, registries, project functions that pass a module on."""
