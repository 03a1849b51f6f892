"""``python -m looplab <task>``: the invoke tasks without the ``invoke`` command
(looplab.cli.program runs the same collection ``invoke`` finds in tasks.py)."""

import sys

from looplab.cli.program import main

sys.exit(main())
