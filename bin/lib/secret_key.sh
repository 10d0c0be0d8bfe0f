# Sourced by bin/run. ensure_secret_key FILE: export DJANGO_SECRET_KEY, unless it is already
# set, from FILE, which is made once per install with a random key, readable by its owner
# only (mode 0600). fluxweb never falls back to a key published with its code.
ensure_secret_key() {
    local file="$1"
    if [ -n "${DJANGO_SECRET_KEY:-}" ]; then
        return 0
    fi
    if [ ! -s "$file" ]; then
        mkdir -p "$(dirname "$file")"
        # 48 random bytes, base64: 64 characters. umask: the file is never readable by others.
        (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$file.tmp" && mv "$file.tmp" "$file")
    fi
    chmod 600 "$file"
    DJANGO_SECRET_KEY="$(cat "$file")"
    export DJANGO_SECRET_KEY
}
