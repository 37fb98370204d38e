"""Any input in any office form, over HTTP, on both databases: never a server error, and
the ledger stays whole.

Each example starts from a small warehouse with a receipt, a pick list, an open count and
a count variance waiting for a supervisor. An admin (who may do everything a supervisor
may) walks the office pages by their links, from the admin, supervisor and report home
pages, and collects every form they show, filters and searches as well as edits.
Hypothesis then fills those forms the way a hurried or careless person, a stale tab or a
hand-edited request would: the page's own values, blanks, junk and control characters,
numbers of every size, any option, a field left out, a CSV file of anything; and any page
gets any query string. After every request: the answer is a page, a redirect or a refusal
in words (never a 5xx), and every balance equals the ledger's in minus out. A failure is
reported as found, without shrinking (each example walks the pages afresh, so shrinking
is slow). FUZZ_EXAMPLES=300 runs a longer hunt than the suite's 20 examples
(FUZZ_EXAMPLES applies to the floor's fuzz as well; a long hunt wants `-o timeout=0`).
"""

import io
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from tests.conftest import sign_in
from tests.helpers import ledger_matches_balances
from tests.test_floor_fuzz import stocked_site
from tests.test_ledger_properties import reset_data
from webapp import count_recording
from webapp.db import db
from webapp.models import CountTask, Role, User

START = ["/admin/", "/supervisor/counts", "/supervisor/picking", "/supervisor/count-tasks",
         "/reports/"]
OFFICE = ("/admin", "/supervisor", "/reports")
SKIP = (".csv", ".png", ".svg", "/signout")
ADMIN_PIN = "admin-pass-1"
_ADMIN_HASH = generate_password_hash(ADMIN_PIN, "pbkdf2:sha256:1000")  # quick to check

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
ODD = st.sampled_from([
    "", " ", "0", "-1", "1", "2", "12", "999999999", "99999999999999999999", "1.5", "1e3",
    "１２", "²", "\x00", "a\x00b", "<b>x</b>", "' OR 1=1 --", "A-01-01-A", "1042", "PO1001",
    "2027-03-31", "2020-02-30", "31/03/2027", "true", "on", "admin", "worker", "supervisor",
])


@dataclass(frozen=True)
class Form:
    method: str  # "get" (a report's filters, a search) or "post"
    action: str
    fields: tuple  # (name, kind, default, options): kind is input type, select, textarea


class Forms(HTMLParser):
    """The forms of one page and the office links on it."""

    def __init__(self, url: str):
        super().__init__()
        self.url, self.forms, self.links = url, [], set()
        self._form, self._select, self._textarea = None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            href = urljoin(self.url, a["href"])
            if urlsplit(href).path.startswith(OFFICE) and not href.endswith(SKIP):
                self.links.add(href.split("#")[0])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "fields": [],
                          "action": urljoin(self.url, a.get("action") or self.url)}
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type") or ("submit" if tag == "button" else "text")
            self._form["fields"].append([a["name"], kind, a.get("value") or "", []])
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], "select", "", []]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[3].append(a.get("value") or "")
            if "selected" in a or not self._select[2]:
                self._select[2] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], "textarea", "", []]
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            action = self._form["action"]
            if not urlsplit(action).path.endswith(SKIP):
                fields = tuple((n, k, d, tuple(o)) for n, k, d, o in self._form["fields"])
                self.forms.append(Form(self._form["method"], action, fields))
            self._form = None


def crawl(client, most: int = 60) -> tuple[list[Form], list[str]]:
    """Every office page reachable from START (up to `most`): their forms, and the pages."""
    seen, queue, forms = set(), list(START), {}
    while queue and len(seen) < most:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        page = Forms(url)
        page.feed(response.get_data(as_text=True))
        for form in page.forms:
            forms.setdefault((form.method, form.action, tuple(f[0] for f in form.fields)), form)
        queue += sorted(page.links - seen)
    # In an order that does not depend on the ids PostgreSQL's sequences gave this example,
    # so that Hypothesis replaying an example draws the same forms.
    return sorted(forms.values(), key=_shape), sorted(seen, key=_shape)


def _shape(form_or_url) -> tuple:
    text = form_or_url if isinstance(form_or_url, str) else repr(form_or_url)
    return re.sub(r"\d+", "#", text), [int(n) for n in re.findall(r"\d+", text)]


def office_site():
    """The floor fuzz's warehouse, an admin, and a count with a variance to decide."""
    site = stocked_site()
    with db.session.begin():
        db.session.add(User(username="ada", name="Ada Admin", role=Role.ADMIN,
                            password_hash=_ADMIN_HASH))
        db.session.add(CountTask(number="CT3002", location_id=site.a2.id))
    count_recording.record(site.worker, "CT3002", {("2001", "L1"): 2})  # 6 held: -4
    return site


def value_for(draw, kind, default, options):
    if kind == "file":
        content = draw(st.one_of(
            st.binary(max_size=200),
            st.lists(st.lists(st.one_of(ODD, TEXT), max_size=6).map(",".join), max_size=5)
            .map(lambda rows: "\n".join(rows).encode()),
        ))
        return (io.BytesIO(content), draw(st.sampled_from(["items.csv", "x.txt", ""])))
    choices = [st.just(default)] * 3 + [ODD, TEXT]
    if options:
        choices.append(st.sampled_from(options))
    return draw(st.one_of(*choices))


def test_no_input_in_any_office_form_is_a_server_error_or_breaks_the_ledger(app):
    examples = int(os.environ.get("FUZZ_EXAMPLES", "20"))

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def careless_office(data):
        reset_data()
        office_site()
        client = app.test_client()
        sign_in(client, "ada", ADMIN_PIN)
        forms, pages = crawl(client)
        assert len(forms) > 10, [f.action for f in forms]  # the walk reached the forms
        for _ in range(data.draw(st.integers(5, 30), label="requests")):
            if data.draw(st.integers(0, 4), label="page or form") == 0:
                page = data.draw(st.sampled_from(pages), label="page")
                names = sorted({f[0] for form in forms if form.method == "get"
                                for f in form.fields} | {"page", "before", "dpi", "copies"})
                query = data.draw(st.dictionaries(
                    st.sampled_from(names), st.one_of(ODD, TEXT), max_size=4), label="query")
                url = page.split("?")[0] + "?" + urlencode(query)
                response = client.get(url)
                what = url
            else:
                form = data.draw(st.sampled_from(forms), label="form")
                fields, submit = {}, None
                for name, kind, default, options in form.fields:
                    if kind == "submit":
                        submit = submit or (name, default)
                        continue
                    if kind == "checkbox" and data.draw(st.booleans(), label=name):
                        continue  # unticked: not sent
                    if data.draw(st.integers(0, 9), label=f"{name} sent") == 0:
                        continue  # left out, as a hand-made request may
                    fields[name] = value_for(data.draw, kind, default, options)
                if submit:
                    fields[submit[0]] = submit[1]
                if form.method == "get":
                    query = {k: v for k, v in fields.items() if isinstance(v, str)}
                    response = client.get(form.action.split("?")[0] + "?" + urlencode(query))
                else:
                    response = client.post(form.action, data=fields)
                what = (form.action, {k: v for k, v in fields.items() if k != "csrf_token"})
            assert response.status_code < 500, (what, response.get_data(as_text=True)[:500])
            db.session.rollback()  # read what the requests wrote, not an old snapshot
            assert ledger_matches_balances(), what

    careless_office()
