"""Benchmarks: functions that measure and return numbers; callers decide what to print or plot."""
