"""``python -m looplab.scenarios.kinds``: print scenarios.yaml's paragraph about steps, as
the kinds' declarations write it (paste it over the header's paragraph that starts with
the same words)."""

from looplab.scenarios.kinds import KINDS
from looplab.scenarios.kinds._format import format_lines

if __name__ == "__main__":
    print("\n".join(format_lines(KINDS)))
