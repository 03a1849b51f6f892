"""looplab: repeatable experiments with AWS Lambda's recursive loop detection.

The public surface is small: ``looplab.stack`` (the compiled stack), ``looplab.sim`` (the
embedded simulator), ``looplab.backends`` (what the engine drives), ``looplab.scenarios`` and
``looplab.engine``. Everything else is private to its package.
"""

__version__ = "0.1.0"
