"""``python -m demo``."""

import sys

from demo.orchestration import main

sys.exit(main())
