"""``python -m looplab.cli``: the same as ``python -m looplab`` (looplab.cli.program)."""

import sys

from looplab.cli.program import main

sys.exit(main())
