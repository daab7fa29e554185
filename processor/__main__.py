"""`python -m processor` is the same as the `aftersales` command."""

from processor.cli import main

raise SystemExit(main())
