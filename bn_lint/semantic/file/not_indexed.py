"""``NOT_INDEXED``: what ``Project.indexed`` answers when the project index holds no answer.

Defined below the analyses that compare with it (and below the project, which re-exports it),
so that they need not import the project.
"""

NOT_INDEXED = object()
