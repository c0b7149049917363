#!/usr/bin/env bash
# The SFTP exchange against a plain `curl sftp://` download of the same files, same server, same run.
# Starts OpenSSH's sshd on loopback (a free port, its own keys), puts N synthetic CNAF files on it, then times:
#   1. curl: one process downloading every file over one connection (the floor: transfer only);
#   2. insertion-gateway run, a new exchange: list, claim, download to a temporary file, hash, import, journal;
#   3. insertion-gateway run, the same files under another exchange id: the same steps, but each file is
#      recognised by its hash and nothing is imported — the exchange's own overhead over the transfer.
# Usage: bash scripts/bench-sftp.sh [--files N] [--households H] [--runs R]   (default 20 files × 2,000 households)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
files=20
households=2000
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
    --files) files=$2; shift 2 ;;
    --households) households=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
bash scripts/setup.sh >/dev/null
command -v bc >/dev/null 2>&1 || apt-get install -y -qq bc >/dev/null
swift build -c release --static-swift-stdlib --product insertion-gateway 2>&1 | tail -n 1
gateway=$PWD/.build/release/insertion-gateway
work=$(mktemp -d /tmp/ig-bench-sftp.XXXXXX)
trap '[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/files/in" "$work/curl" /run/sshd

# Synthetic CNAF files: the September sample's first household repeated with new matricules.
python3 - "$work/files/in" "$files" "$households" <<'PY'
import re, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = open("Samples/cnaf/caf-67-2026-09.xml", "rb").read().decode("cp1252")
head, rest = text.split("<InfosFoyerRSA>", 1)
block = "<InfosFoyerRSA>" + rest.split("</InfosFoyerRSA>", 1)[0] + "</InfosFoyerRSA>\n"
trailer = "<TransmissionFlux>" + text.split("<TransmissionFlux>", 1)[1]
trailer = re.sub(r"<NBTOTDOSRSATRANSM>\d+</NBTOTDOSRSATRANSM>", f"<NBTOTDOSRSATRANSM>{size}</NBTOTDOSRSATRANSM>", trailer)
for n in range(count):
    body = [head]
    for i in range(size):
        body.append(re.sub(r"<MATRICULE>\d+</MATRICULE>", f"<MATRICULE>{4000000 + n * 100000 + i}</MATRICULE>", block))
    body.append(trailer)
    open(f"{folder}/bench-{n:03d}.xml", "wb").write("".join(body).encode("cp1252"))
PY
bytes=$(du -cb "$work"/files/in/*.xml | tail -n 1 | cut -f 1)

ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
/usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"
for _ in $(seq 50); do [ -f "$work/sshd.pid" ] && break; sleep 0.1; done
pin=$(ssh-keygen -lf "$work/host_key.pub" -E sha256 | awk '{print $2}' | sed 's/^SHA256://')
user=$(id -un)
base="sftp://127.0.0.1:$port$work/files/in"

cat >"$work/gateway.yaml" <<YAML
store: $work/g.sqlite
mappings: Mappings
work: $work/spool
refused: $work/refused
defaults:
  direction: in
  flow: caf-beneficiaires
  transport: sftp
  location: $base/
  pattern: "*.xml"
  credentials: { user: $user, key-file: $work/client_key }
  host-key: { sha256: "$pin" }
  archive: keep
exchanges:
  - id: import
YAML
for run in $(seq "$runs"); do echo "  - id: recognise-$run" >>"$work/gateway.yaml"; done

now() { date +%s.%N; }
best_curl=
for run in $(seq "$runs"); do
    rm -f "$work"/curl/*
    urls=()
    for f in "$work"/files/in/*.xml; do urls+=(-O "$base/$(basename "$f")"); done
    start=$(now)
    (cd "$work/curl" && curl -sS --key "$work/client_key" --hostpubsha256 "$pin=" -u "$user:" "${urls[@]}")
    seconds=$(echo "$(now) - $start" | bc -l)
    if [ -z "$best_curl" ] || [ "$(echo "$seconds < $best_curl" | bc -l)" = 1 ]; then best_curl=$seconds; fi
done
[ "$(ls "$work/curl" | wc -l)" = "$files" ] || { echo "curl did not download every file" >&2; exit 1; }

start=$(now)
"$gateway" run --quiet --config "$work/gateway.yaml" --only import >/dev/null
import_seconds=$(echo "$(now) - $start" | bc -l)
best_gateway=
for run in $(seq "$runs"); do
    start=$(now)
    "$gateway" run --quiet --config "$work/gateway.yaml" --only "recognise-$run" >"$work/out-$run"
    seconds=$(echo "$(now) - $start" | bc -l)
    grep -q "$files déjà reçu" "$work/out-$run" || { cat "$work/out-$run"; echo "not every file recognised" >&2; exit 1; }
    if [ -z "$best_gateway" ] || [ "$(echo "$seconds < $best_gateway" | bc -l)" = 1 ]; then best_gateway=$seconds; fi
done

mb=$(echo "$bytes / 1000000" | bc -l)
printf 'SFTP exchange benchmark: %d files, %.1f MB (%d households each), loopback sshd, best of %d\n' \
    "$files" "$mb" "$households" "$runs"
printf '  curl sftp:// download (one connection)     %7.2f s  %7.1f MB/s\n' "$best_curl" "$(echo "$mb / $best_curl" | bc -l)"
printf '  gateway run, files recognised by hash      %7.2f s  %7.1f MB/s  overhead %+.0f %% (%.0f ms a file)\n' \
    "$best_gateway" "$(echo "$mb / $best_gateway" | bc -l)" "$(echo "($best_gateway / $best_curl - 1) * 100" | bc -l)" \
    "$(echo "($best_gateway - $best_curl) * 1000 / $files" | bc -l)"
printf '  gateway run, files imported (once)         %7.2f s  %7.1f MB/s\n' "$import_seconds" "$(echo "$mb / $import_seconds" | bc -l)"
printf 'BENCH_SFTP_JSON {"files":%d,"bytes":%d,"curlSeconds":%.3f,"gatewayRecogniseSeconds":%.3f,"gatewayImportSeconds":%.3f}\n' \
    "$files" "$bytes" "$best_curl" "$best_gateway" "$import_seconds"
