"""One module per rule. Each defines a :class:`bn_lint.rule.Rule` subclass."""
