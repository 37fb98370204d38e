# Sourced by scripts/serve and scripts/test: make .venv with Python 3.11+ and install into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "Binscan needs Python 3.11 or newer (set PYTHON=...)." >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi
install_extras=${1:-}
echo "Installing Binscan${install_extras:+ with $install_extras} into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${install_extras}" 2>&1 |
  grep -v "is ignored: it is neither a file nor a directory" || true
