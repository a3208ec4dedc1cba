"""`python -m content_packs` runs kepu-pack."""

import sys

from content_packs.cli import main

sys.exit(main())
