"""Binscan defaults. Every value can be overridden from the environment.

DATABASE_URL and SECRET_KEY are read as they are; any other setting is read from
BINSCAN_<NAME> (values are parsed as JSON where they can be, e.g. BINSCAN_MAX_QUANTITY=5000).
No secrets live in this file.
"""

# "development" (default) generates a SECRET_KEY into the instance folder;
# "production" refuses to start without SECRET_KEY from the environment.
ENV = "development"

# Empty means a SQLite file in the instance folder (WAL, busy timeout, foreign keys).
# PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname
DATABASE_URL = ""

# How long a SQLite writer waits for the single write lock before giving up (ms).
SQLITE_BUSY_TIMEOUT_MS = 5000

# The most units one movement may carry; a larger number is almost always a misscan
# (a barcode typed into the quantity field).
MAX_QUANTITY = 99_999

# Over-receipt beyond a receipt line's expected quantity: "allow", "warn" (confirm) or "block".
OVER_RECEIPT = "warn"

# Compress pages and static files (Flask-Compress) of at least this many bytes. A scan
# step's fragment (0.5-1.7 KB) stays below it: compressing it costs more than it saves.
COMPRESS_MIN_SIZE = 2048

# Cycle counts: every bin with stock is counted once per this many days; the fifth of
# bins holding the most value four times as often.
CYCLE_COUNT_DAYS = 90

# A scan's answer that has not come within this many seconds is given up and the scan sent
# again with the same key (safe: it posts once). A handheld roaming between access points
# can otherwise wait minutes on a connection that has silently gone.
SCAN_ANSWER_SECONDS = 10

# A step left unfinished on a handheld (a count half done, an item in hand) is kept on the
# device and carried on when its screen opens again (a reload, a look-up on the way, a
# sign-in after an idle sign-out), if its last answer came less than this many minutes
# ago. Longer than IDLE_MINUTES, so an idle sign-out does not lose it.
RESUME_MINUTES = 60

# A worker may reverse their own last movement for this many minutes.
UNDO_MINUTES = 5

# The largest request body accepted (bytes): a CSV upload of a few thousand rows fits;
# anything bigger is refused with 413 before it is read.
MAX_CONTENT_LENGTH = 8 * 1024 * 1024

# Behind a reverse proxy that terminates TLS, how many proxies to trust for
# X-Forwarded-For/-Proto/-Host (0: none, the app is reached directly).
TRUSTED_PROXIES = 0

# Sessions and cookies.
PERMANENT_SESSION_LIFETIME = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# What scanners may send in place of the GS1 group separator (FNC1), which a keyboard
# wedge cannot type. Each is read as GS in GS1 codes only. "~", "|", "^", "{" and "}" are
# outside GS1's character set 82, so they never occur in GS1 data; "<GS>" is the text
# several scanners type; "\u241d" is the printable GS symbol.
# From the environment as JSON, e.g. BINSCAN_GS1_SEPARATORS='["\u001d", "~"]'.
GS1_SEPARATORS = ["\x1d", "<GS>", "{GS}", "^]", "~", "|", "\u241d"]

# Sign-in. A device unused for IDLE_MINUTES is signed out at its next request, and any
# sign-in ends SESSION_MAX_HOURS after it began, however busy the device (a shared
# handheld passed on at a shift change without signing out).
IDLE_MINUTES = 30
SESSION_MAX_HOURS = 12
# This many wrong PINs in a row lock the user for SIGNIN_LOCK_MINUTES (in every process).
SIGNIN_MAX_FAILURES = 5
SIGNIN_LOCK_MINUTES = 5
# Remember-me is not offered; should a remember cookie ever be set, it is short and locked down.
REMEMBER_COOKIE_DURATION = 12 * 3600
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# CSRF tokens live as long as the session (idle timeout, PERMANENT_SESSION_LIFETIME) rather
# than one hour: a scanning page works through htmx for a whole shift without reloading.
WTF_CSRF_TIME_LIMIT = None

# Only our own files. Camera scanning will need "'self' 'wasm-unsafe-eval'" in script-src
# (the barcode-detector polyfill's WebAssembly) and "media-src": "'self' blob:".
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}
# Strict-Transport-Security in production (seconds; 0 turns it off).
HSTS_SECONDS = 365 * 24 * 3600

# Count variances (issue 4). A variance within AUTO_APPROVE_UNITS units AND within
# AUTO_APPROVE_VALUE in value (units x unit cost) is approved as the count is recorded,
# posted by the system user. Auto-approval runs only when both are above 0.
AUTO_APPROVE_UNITS = 0
AUTO_APPROVE_VALUE = 0
# Approving a variance worth more than this (units x unit cost) needs a reason.
REASON_REQUIRED_VALUE = 100.00
# A supervisor may not approve a count they made themselves.
SEGREGATE_DUTIES = True
