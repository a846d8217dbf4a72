"""``python -m llmos.shell`` opens the shell."""
from . import main

raise SystemExit(main())
