"""aftersales: the after-sales complaint desk, run by mail.

The pipeline, in the order an item travels: sources → intake (archive) → parsers → record →
rules → actions → outputs. Each stage has its own module; see README.md, "Design".
"""

__version__ = "0.1.0"
