"""`python -m controller` runs the same CLI as `kepu-controller`."""

from controller.cli import main

raise SystemExit(main())
