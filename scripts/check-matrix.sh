#!/usr/bin/env bash
# `make check-matrix`: the test suite on every other supported Python (3.10, 3.12, 3.13; `make
# check` covers the default one). One virtualenv per version (.venv-3.10, ...), created on first
# use and reinstalled when pyproject.toml or constraints/dev.txt change. Interpreters are found
# under pyenv ($PYENV_ROOT/versions/X.Y.Z, the newest patch release), else as pythonX.Y on PATH.
# Property tests run the "matrix" hypothesis profile (a fifth of the cases) to keep this lean.
# Every version runs even when one fails; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

VERSIONS=${MATRIX_VERSIONS:-3.10 3.12 3.13}
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}

find_python() {
    local version=$1 candidate
    candidate=$(
        find "$PYENV_ROOT/versions" -mindepth 1 -maxdepth 1 -name "$version.*" 2>/dev/null \
            | grep -E "/$version\.[0-9]+$" | sort -V | tail -n 1
    )
    if [[ -n $candidate && -x $candidate/bin/python ]]; then
        echo "$candidate/bin/python"
    elif command -v "python$version" >/dev/null 2>&1; then
        command -v "python$version"
    fi
}

failed=()
for version in $VERSIONS; do
    python=$(find_python "$version")
    if [[ -z $python ]]; then
        echo "check-matrix: no Python $version found (looked in $PYENV_ROOT/versions/$version.* and" \
            "for python$version on PATH); install it, e.g. pyenv install $version" >&2
        failed+=("$version (missing)")
        continue
    fi
    actual=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
    if [[ $actual != "$version" ]]; then
        echo "check-matrix: $python is Python ${actual:-?}, not $version" >&2
        failed+=("$version (wrong interpreter)")
        continue
    fi
    venv=".venv-$version"
    stamp="$venv/.installed"
    if [[ -e $venv ]] && ! "$venv/bin/python" -c pass >/dev/null 2>&1; then
        rm -rf "$venv"  # its interpreter moved or was removed
    fi
    if [[ ! -e $stamp || pyproject.toml -nt $stamp || constraints/dev.txt -nt $stamp ]]; then
        echo "check-matrix: installing $venv with $python"
        if ! { "$python" -m venv "$venv" \
            && "$venv/bin/python" -m pip install --quiet --upgrade pip \
            && "$venv/bin/python" -m pip install --quiet -c constraints/dev.txt -e '.[dev]'; }; then
            echo "check-matrix: could not install $venv" >&2
            failed+=("$version (install)")
            continue
        fi
        touch "$stamp"
    fi
    echo "check-matrix: Python $version ($python)"
    if ! HYPOTHESIS_PROFILE=matrix "$venv/bin/python" -m pytest -q -p no:cacheprovider; then
        failed+=("$version")
    fi
done

if ((${#failed[@]})); then
    echo "check-matrix: FAILED on Python ${failed[*]}" >&2
    exit 1
fi
echo "check-matrix: the suite passed on Python $VERSIONS"
