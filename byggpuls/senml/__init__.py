"""The SenML JSON codec (RFC 8428, versions per RFC 9100): packs to resolved records and back.

``decode_pack`` checks a pack strictly and resolves it (RFC 8428 section 4.6): base fields
applied, names concatenated and checked, relative times made absolute; records keep pack order.
``encode_pack`` writes resolved records as a compact pack; ``decode_pack(encode_pack(rs)) == rs``.
Every fault raises :class:`SenMLError` naming the record and the reason. ``decode_columns``
decodes the plain packs gateways send (numeric values, absolute times) in bulk, as columns, and
returns None for any other pack, valid or not, so that ``decode_pack`` decides.

Where the RFC leaves room, this codec decides:

- ``[]`` is invalid: a pack holds one or more records (sections 3 and 11).
- A record of known base fields only (``bn bt bu bv bs bver``) sets them for the records after
  it and resolves to nothing, as in the RFC's actuator example (5.1.7). Any other record
  carries exactly one of ``v vs vb vd``, or none if it carries ``s`` (4.2). ``bv`` is added to
  ``v`` only, so no record gets two values; ``bs`` gives every record a sum (4.5.4).
- Duplicate keys in an object are rejected: parsers disagree on which one wins. So are NaN,
  Infinity, numbers beyond the IEEE double range and sums that overflow it, and ``null``,
  arrays or objects as field values (the CDDL of section 11 allows none of them).
- ``bver`` is the same in every record (4.4). From 10 up it is a feature bitmap (RFC 9100):
  accepted are 10 (RFC 8428) and 26 (plus feature 4, Secondary Units: units pass through as
  text and are never converted, so RFC 8798 secondary unit names need nothing more); other
  bitmaps set feature bits this codec does not know, or lack those of 10, and are rejected.
  Versions 1 to 9 come from the drafts before RFC 8428 (the ``"bver":5`` of example 5.1.2 is
  one) and are read as plain RFC 8428: section 4.4 refuses only versions larger than the
  receiver's, and no feature bits existed then. The encoder writes 10 or 26 only.
- Unknown labels ending in ``_`` (must-understand) are rejected. Other unknown labels must
  follow the label grammar of section 11 and land in :attr:`Record.extra` of their record;
  an unknown base label too, as its resolution is unknown.
- ``vd`` must be unpadded base64url, and strings valid UTF-8 (no lone surrogates) without
  U+0000: a C receiver would cut the string there, and PostgreSQL text cannot hold it.
"""

from byggpuls.errors import SenMLError
from byggpuls.senml.decode import Columns, decode_columns, decode_pack
from byggpuls.senml.encode import encode_pack
from byggpuls.senml.model import Record

__all__ = ["Columns", "Record", "SenMLError", "decode_columns", "decode_pack", "encode_pack"]
