"""llmos."""
