"""``python -m llmos`` runs the CLI."""
from .cli import main

raise SystemExit(main())
