"""``python -m llmos.top`` opens the viewer."""
from . import main

raise SystemExit(main())
