"""Train/eval mode flow: which mode each model variable is in at each call.

Every function body (and the module body) is walked statement by statement
through ``if``/``else``, loops (to a fixpoint, so loop-carried modes are seen),
``with``, ``try``, ``break``/``continue``/``return``. A variable's mode is a set
of :class:`Fact` (one per path): ``train`` (built here, ``.train()``,
``torch.load``), ``eval``, ``entry`` (as the caller left it) or ``unknown``.
Calls to functions of this file or of other project files apply the callee's
summary (what it leaves each parameter's mode at on return); unknown callees
that receive a model make its mode unknown. Rules read the recorded sites:
model calls (``uses``), export calls, freezing and training steps.

Where things are: ``analysis`` (:class:`ModeAnalysis`: the file's facts; its parts, one object per module, are the
queries ``entry``, ``kinds``, ``training_steps``, ``evaluations``, ``output_reads``, ``callees``, ``given``, reached as
``analysis.kinds.kind(...)``); ``flow`` (``_Flow``, one walk: its state; its parts, one object per module, visit the
code: ``statements``, ``loops``, ``assignments``, ``values``, ``calls``, ``uses``, ``freezing``, ``applied_freezes``,
``helper_calls``, ``callbacks``, ``given_callables``, reached as ``flow.calls.call(...)``); ``state`` (facts and their join), ``keys``, ``conditions``, ``records`` (sites,
summaries), ``known_calls`` and ``eval_names`` (tables), ``constructors``, ``trained``.
"""
from .analysis import ModeAnalysis
from .eval_names import EVAL_NAME, eval_named
from .keys import key_of, receiver_key
from .known_calls import EXPORTS
from .records import HelperEval, Site, Summary, Watch, describe
from .state import ENTRY, EVAL, TRAIN, UNKNOWN_MODE, Fact, State, _lookup, _tracked

__all__ = [
    "ENTRY", "EVAL", "EVAL_NAME", "EXPORTS", "TRAIN", "UNKNOWN_MODE", "Fact", "HelperEval", "ModeAnalysis", "Site",
    "State", "Summary", "Watch", "_lookup", "_tracked", "describe", "eval_named", "key_of", "receiver_key",
]
