"""The look-up screen in a real browser, at 360x640."""

import pytest
import sqlalchemy as sa

from tests.browser.handheld import Handheld, sign_in
from webapp.models import Location, Lot, StockBalance

pytestmark = pytest.mark.browser

# For each element holding a code (a bin, a date): how many lines its text is laid out on.
LINES_OF_CODES = """() => [...document.querySelectorAll("#step .code")].map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [el.textContent, tops.size];
})"""


def test_a_lot_is_found_with_its_bin_and_expiry_each_on_one_line(floor, page, shots):
    with floor.session() as session:
        lot, expiry, bin_code, qty = session.execute(
            sa.select(Lot.code, Lot.expiry, Location.code, StockBalance.quantity)
            .join(StockBalance, StockBalance.lot_id == Lot.id)
            .join(Location, Location.id == StockBalance.location_id)
            .where(StockBalance.quantity > 0, Lot.expiry.is_not(None))
            .order_by(Lot.code)
            .limit(1)
        ).one()
    sign_in(page, floor.url)
    worker = Handheld(page, shots)
    worker.open(f"{floor.url}/lookup")

    worker.scan(lot, f"Lot {lot}: {qty} in 1 place.", shot="lot")

    row = page.locator("#step table tr").nth(1).inner_text().split("\t")
    assert row[0] == bin_code and f"{lot} {expiry}" in row[2]
    lines = dict(page.evaluate(LINES_OF_CODES))
    assert lines == {bin_code: 1, str(expiry): 1}
