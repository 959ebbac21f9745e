"""Detectors, one per module, each a scikit-learn style estimator."""
