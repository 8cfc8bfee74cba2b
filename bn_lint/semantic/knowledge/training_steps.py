"""The calls that make a training step, by method name.

``loss.backward()``, ``accelerator.backward(loss)`` and Lightning's ``self.manual_backward(loss)`` compute the
gradients; ``optimizer.step()`` and ``scaler.step(opt)`` apply them.
"""
from __future__ import annotations

#: methods that compute gradients of a loss (the loss is the receiver of ``backward``, else the first argument)
BACKWARD_METHODS = frozenset({"backward", "manual_backward"})
#: methods that take a training step: a backward or an optimizer's step
STEP_METHODS = BACKWARD_METHODS | {"step"}
