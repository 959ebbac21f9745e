"""``python -m cli``: the same as the ``byggpuls`` command."""

import sys

from cli.main import main

sys.exit(main())
