"""Library code for the benchmarks: simulated data made ready for the analytics, and how their
results are judged. Kept out of ``bench/*.py``, which are the scripts ``make bench`` runs."""
