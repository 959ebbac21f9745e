"""Baselines: what a meter would use without waste, which waste is measured against."""
