"""Analytics: find the energy waste worth fixing, in kWh, kroner and CO₂e.

``hours`` says when a building is meant to be in use, by the Norwegian calendar; ``baselines``
holds the weather-normalised TOWT baseline; detectors in ``detectors/`` follow the scikit-learn
estimator contract; ``scoring`` judges each week by models of the weeks before it;
``pipeline.analyse`` is the pure analysis of one building; ``waste`` prices it; ``findings``
turns a detection into a finding with evidence; ``scan`` reads a CSV export; ``service`` runs
the analysis over stored readings and keeps the findings. See ``docs/analytics.md``.
"""
