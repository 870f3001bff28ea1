# Sourced by run.sh and test.sh: make .venv with this project installed (once per pyproject change).
# Usage: ensure_venv "" | ensure_venv "[test]"
ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-}"
    if [ -z "$python" ]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
                python="$candidate"
                break
            fi
        done
    fi
    if [ -z "$python" ]; then
        echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "==> Creating .venv with $python"
        "$python" -m venv .venv
    fi
    local stamp=".venv/.installed${extras}"
    local wanted
    wanted="$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "==> Installing the project${extras} into .venv (first run takes a few minutes)"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e ".${extras}"
        echo "$wanted" > "$stamp"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
}
