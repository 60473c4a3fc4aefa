"""``python -m pobench.cli``: the same as the ``pobench`` command."""

import sys

from pobench.cli import main

sys.exit(main())
