"""Analytics: find the energy waste worth fixing, in kWh, kroner and CO₂e.

``hours`` says when a building is meant to be in use, by the Norwegian calendar; ``baselines``
holds the weather-normalised TOWT baseline; detectors in ``detectors/`` follow the scikit-learn
estimator contract; ``scoring`` judges each week by models of the weeks before it;
``pipeline.analyse`` is the pure analysis of one building; ``waste`` prices it; ``findings``
turns a detection into a finding with evidence; ``scan`` reads a CSV export; ``service`` runs
the analysis over stored readings and keeps the findings. Beside the energy analysis:
``equipment`` judges air handling units by ASHRAE Guideline 36's fault conditions; ``zones``
judges rooms (indoor climate in opening hours, a window open, a setpoint too high);
``occupancy`` tells from a zone's CO2 whether anyone is there; ``health`` scores each building
0-100 with its reasons, and ``daily_health`` gathers its inputs from a building's analysis.
See ``docs/analytics.md``.
"""
