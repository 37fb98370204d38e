"""Small helpers shared by the tests that need stock on hand before they start."""

import uuid

from webapp import stock


def receive(site, to, qty, sku="1042", lot=None, expiry=None):
    """Receive stock through the ledger as the site's worker; a lot gets the site's expiry
    unless another is given. Returns what was posted."""
    return stock.receive(
        site.worker,
        to_bin=to,
        sku=sku,
        qty=qty,
        lot=lot,
        expiry=expiry or (site.expiry if lot else None),
        key=uuid.uuid4().hex,
    )
