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

from analytics.detectors.after_hours import AfterHoursDetector, AfterHoursHeatingDetector
from analytics.detectors.baseload_drift import BaseloadDriftDetector
from analytics.detectors.heating_signature import HeatingSignatureDetector
from analytics.detectors.meter_faults import MeterFaultDetector
from analytics.detectors.profile_outliers import ProfileOutlierDetector

#: The detectors of waste, on a meter (their first role) and what else their roles name; each
#: says which of its episode's hours count as waste (``waste_hours``).
WASTE_DETECTORS: Final = (
    AfterHoursDetector,
    AfterHoursHeatingDetector,
    BaseloadDriftDetector,
    HeatingSignatureDetector,
)
#: Every detector the service runs.
DETECTORS: Final = (*WASTE_DETECTORS, MeterFaultDetector)
#: Built and judged by the contract test, not yet run by the service: the unusual-day
#: detector fits up to three isolation forests per meter and week, which a large portfolio
#: cannot yet afford, and it judges whole local days only.
NOT_RUN: Final = (ProfileOutlierDetector,)

__all__ = [
    "DETECTORS",
    "NOT_RUN",
    "WASTE_DETECTORS",
    "AfterHoursDetector",
    "AfterHoursHeatingDetector",
    "BaseloadDriftDetector",
    "HeatingSignatureDetector",
    "MeterFaultDetector",
    "ProfileOutlierDetector",
]
