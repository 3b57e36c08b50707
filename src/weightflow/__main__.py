"""``python -m weightflow``: the command line."""

import os
import sys

try:
    from .cli import entry
except KeyboardInterrupt:  # Ctrl-C while the command line is still loading: nothing started, nothing to keep
    sys.stderr.write("interrupted\n")
    os._exit(130)

if __name__ == "__main__":
    entry()
