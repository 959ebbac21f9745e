"""Analytics: find the energy waste worth fixing, in kWh and kroner.

``hours`` says when a building is meant to be in use, by the Norwegian calendar; detectors in
``detectors/`` follow the scikit-learn estimator contract (``fit`` returns ``self``, fitted
attributes end in ``_``, higher scores mean more waste); ``service`` runs them over stored readings
and keeps their findings in the registry.
"""
