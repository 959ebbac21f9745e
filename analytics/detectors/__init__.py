"""The detectors, one module each, registered here: :data:`DETECTORS` is the one list.

Every detector follows the scikit-learn estimator contract (``__init__`` stores parameters
only, ``fit`` returns ``self``, fitted attributes end in ``_``, ``score_samples`` is higher for
more waste and is separate from the decision that turns scores into episodes), is pure (no
I/O: the service reads the series and keeps the findings), and declares the finding ``kind``
it reports and the point ``roles`` (:class:`byggpuls.roles.Role`) it reads, in the order its
``fit`` takes them after the times. ``tests/analytics/detectors/test_contract.py`` checks
every one of them.
"""

from __future__ import annotations

from typing import Final

from analytics.detectors.after_hours import AfterHoursDetector
from analytics.detectors.meter_faults import MeterFaultDetector

#: Every detector the service runs.
DETECTORS: Final = (AfterHoursDetector, MeterFaultDetector)

__all__ = ["DETECTORS", "AfterHoursDetector", "MeterFaultDetector"]
