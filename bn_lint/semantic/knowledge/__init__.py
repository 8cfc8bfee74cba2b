"""What bn-lint knows about torch and other libraries: one table per concept."""
