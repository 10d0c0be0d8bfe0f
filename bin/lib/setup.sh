# Shared by bin/run and bin/test: find Python >= 3.12, make .venv, install what pyproject.toml
# declares (again only when it changed). Source it; then `python` is the venv's.

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "fluxweb needs Python 3.12 or newer (Django 6): none found on PATH." >&2
    echo "Install one (pyenv install 3.12, or your OS package) or set PYTHON=/path/to/python3.12." >&2
    return 1
}

ensure_venv() {
    # $1: the extras to install, e.g. "test" (empty for the app alone)
    local extras="${1:-}" spec="." stamp
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        local python
        python=$(find_python) || exit 1
        echo "Creating .venv with $($python --version)"
        rm -rf .venv
        "$python" -m venv .venv
    fi
    stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-app}"
    if [ ! -f "$stamp" ]; then
        echo "Installing dependencies ($spec)"
        # Output goes to a log, shown only if the install fails.
        if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
               .venv/bin/python -m pip install --disable-pip-version-check -e "$spec"; } >.venv/pip.log 2>&1; then
            cat .venv/pip.log >&2
            echo "Installing dependencies failed (log above, also in .venv/pip.log)." >&2
            exit 1
        fi
        touch "$stamp"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
    export VIRTUAL_ENV="$PWD/.venv"
}
