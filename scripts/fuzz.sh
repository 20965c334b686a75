#!/usr/bin/env bash
# Fuzz the Cachet core: install cargo-fuzz if missing, build the seed corpora, then run
# every fuzz target (crate/fuzz) for SECONDS each, one after the other, on one core.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default 600 seconds, all targets)
#   scripts/fuzz.sh 0                         (only build the seed corpora)
#
# Seeds go to crate/fuzz/corpus/<target>/ (git-ignored): files of the shared interop
# corpus (env CACHET_SHARED, else ../shared beside the checkout), when present, and
# messages made now with openssl and `cachet sign` from the fuzz test identity.
# Crashes land in crate/fuzz/artifacts/<target>/; see crate/fuzz/README.md.
set -euo pipefail

SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(mime_parse cms_signed open pkcs12 decrypt deferred smimea)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/crate/fuzz"
SHARED="${CACHET_SHARED:-$ROOT/../shared}"
CORPUS="$FUZZ/corpus"
PW="fuzz-test-password"

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is missing (install $2)" >&2; exit 1; }; }
need openssl openssl
need rustup rustup
rustup toolchain list | grep -q '^nightly' || { echo "error: the nightly toolchain is missing (rustup toolchain install nightly)" >&2; exit 1; }

# ---------------------------------------------------------------- seed corpora
echo "== seeds into $CORPUS"
for t in mime_parse cms_signed open pkcs12 decrypt deferred smimea; do mkdir -p "$CORPUS/$t"; done
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# seed TARGET FILE...: copy files (at most 64 KiB) under their content hash.
seed() {
  local t="$1"; shift
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 65536 ] || continue
    cp "$f" "$CORPUS/$t/$(sha1sum "$f" | cut -c1-40)"
  done
}

if [ -d "$SHARED/corpus" ]; then
  mapfile -t MAIL < <(find "$SHARED/corpus" -type f \( -name '*.eml' -o -name '*.message' -o -name '*.env' \
    -o -name '*.multipart' -o -name '*.opaque' -o -name '*.mismatch-econtent' -o -name '*.SHA*' -o -name '*.textplain' \) | sort)
  mapfile -t CMS < <(find "$SHARED/corpus" -type f \( -name '*.p7m' -o -name '*.p7s' -o -name '*.bin' -o -name '*.der' \) | sort)
  mapfile -t P12 < <(find "$SHARED/corpus" -type f \( -name '*.p12' -o -name '*.pfx' \) | sort)
  mapfile -t ENV < <(printf '%s\n' "${MAIL[@]}" | grep -i -e 'env' -e 'encr' -e 'enc\.' || true)
  seed mime_parse "${MAIL[@]}"
  seed open "${MAIL[@]}"
  seed decrypt "${ENV[@]}"
  seed cms_signed "${CMS[@]}"
  seed pkcs12 "${P12[@]}"
  echo "   shared corpus: ${#MAIL[@]} messages, ${#CMS[@]} CMS files, ${#P12[@]} PKCS#12 files"
else
  echo "   shared corpus not found at $SHARED/corpus: seeds are only the generated ones"
fi

# The fuzz test identity (not secret): its key and certificates, for generated seeds.
P12="$FUZZ/fixtures/fuzz-test-identity.p12"
openssl pkcs12 -in "$P12" -passin "pass:$PW" -nodes -nocerts -out "$WORK/key.pem" 2>/dev/null
openssl pkcs12 -in "$P12" -passin "pass:$PW" -nokeys -clcerts -out "$WORK/cert.pem" 2>/dev/null
openssl pkcs12 -in "$P12" -passin "pass:$PW" -nokeys -cacerts -out "$WORK/ca.pem" 2>/dev/null
printf '%s\n' "$PW" > "$WORK/pw"

cat > "$WORK/plain.eml" <<'MSG'
From: Fuzz Test <fuzz@example.org>
To: <someone@example.org>
Subject: =?UTF-8?B?w4ljaGFuZ2UgZGUgY2zDqXM=?=
Date: Fri, 01 Jan 2027 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, voil=C3=A0.
--b1
Content-Type: application/octet-stream; name*=UTF-8''r%C3%A9sum%C3%A9.bin
Content-Disposition: attachment; filename="a.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQ==
--b1--
MSG
sed -i 's/$/\r/' "$WORK/plain.eml"
seed mime_parse "$WORK/plain.eml"
seed open "$WORK/plain.eml"

# openssl: detached and opaque signatures, SMIME and DER.
for md in sha256 sha1 sha384; do
  openssl cms -sign -md "$md" -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -certfile "$WORK/ca.pem" -in "$WORK/plain.eml" -out "$WORK/dsig-$md.eml" 2>/dev/null
  openssl cms -sign -md "$md" -nodetach -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/plain.eml" -out "$WORK/sig-$md.eml" 2>/dev/null
  openssl cms -sign -md "$md" -nodetach -binary -outform DER -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/plain.eml" -out "$WORK/sig-$md.der" 2>/dev/null
  openssl cms -sign -md "$md" -binary -outform DER -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/plain.eml" -out "$WORK/dsig-$md.der" 2>/dev/null
done
openssl cms -sign -nodetach -stream -binary -outform DER -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/plain.eml" -out "$WORK/sig-ber.der" 2>/dev/null
openssl cms -sign -nodetach -noattr -keyid -binary -outform DER -signer "$WORK/cert.pem" -inkey "$WORK/key.pem" -in "$WORK/plain.eml" -out "$WORK/sig-noattr.der" 2>/dev/null
seed mime_parse "$WORK"/dsig-*.eml "$WORK"/sig-*.eml
seed open "$WORK"/dsig-*.eml "$WORK"/sig-*.eml
seed cms_signed "$WORK"/*.der

# The CMS blobs inside messages (pkcs7-mime / pkcs7-signature parts), decoded.
if command -v python3 >/dev/null 2>&1; then
  mkdir -p "$WORK/blobs"
  { [ -d "$SHARED/corpus" ] && printf '%s\n' "${MAIL[@]}"; ls "$WORK"/*.eml; } | python3 -c '
import email, hashlib, sys
out = sys.argv[1]
for name in sys.stdin.read().split("\n"):
    if not name:
        continue
    try:
        msg = email.message_from_binary_file(open(name, "rb"))
        for part in msg.walk():
            if "pkcs7" in part.get_content_type():
                blob = part.get_payload(decode=True)
                if blob and len(blob) <= 65536:
                    open(out + "/" + hashlib.sha1(blob).hexdigest(), "wb").write(blob)
    except Exception:
        pass
' "$WORK/blobs"
  seed cms_signed "$WORK"/blobs/*
fi

# openssl: encrypted to the fuzz identity, plain and signed-then-encrypted.
for c in aes-256-cbc aes-128-cbc des3 aes-128-gcm; do
  openssl cms -encrypt "-$c" -in "$WORK/plain.eml" -out "$WORK/env-$c.eml" "$WORK/cert.pem" 2>/dev/null || true
  openssl cms -encrypt "-$c" -in "$WORK/sig-sha256.eml" -out "$WORK/env-sig-$c.eml" "$WORK/cert.pem" 2>/dev/null || true
done
openssl cms -encrypt -aes-256-cbc -keyopt rsa_padding_mode:oaep -recip "$WORK/cert.pem" -in "$WORK/plain.eml" -out "$WORK/env-oaep.eml" 2>/dev/null || true
seed decrypt "$WORK"/env-*.eml
seed open "$WORK"/env-*.eml

# cachet sign (the CLI of this checkout).
(cd "$ROOT" && cargo build -q -p cachet --bin cachet)
CACHET="$ROOT/target/debug/cachet"
"$CACHET" sign --identity "$P12" --password-file "$WORK/pw" < "$WORK/plain.eml" > "$WORK/cachet-dsig.eml"
"$CACHET" sign --identity "$P12" --password-file "$WORK/pw" --opaque < "$WORK/plain.eml" > "$WORK/cachet-sig.eml"
seed mime_parse "$WORK"/cachet-*.eml
seed open "$WORK"/cachet-*.eml
openssl cms -encrypt -aes-256-cbc -in "$WORK/cachet-dsig.eml" -out "$WORK/env-cachet.eml" "$WORK/cert.pem" 2>/dev/null
seed decrypt "$WORK/env-cachet.eml"

# deferred: the decrypt seeds behind a first byte choosing how the host answers (0 computed,
# 1 decryptions refused, 2 digests wrong).
for f in "$CORPUS"/decrypt/*; do
  [ -f "$f" ] || continue
  for mode in 0 1 2; do
    { printf "\\x0$mode"; cat "$f"; } > "$WORK/deferred-seed"
    cp "$WORK/deferred-seed" "$CORPUS/deferred/$(sha1sum "$WORK/deferred-seed" | cut -c1-40)"
  done
done

# PKCS#12: the fuzz identity re-exported without MAC (so mutations reach the bags),
# unencrypted, legacy 3DES/RC2 and PBES2.
openssl pkcs12 -export -iter 1 -nomac -passout "pass:$PW" -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -certfile "$WORK/ca.pem" -out "$WORK/nomac.p12"
openssl pkcs12 -export -nomac -keypbe NONE -certpbe NONE -passout "pass:$PW" -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -out "$WORK/plain.p12"
openssl pkcs12 -export -legacy -iter 1 -passout "pass:$PW" -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -out "$WORK/legacy.p12" 2>/dev/null || true
openssl pkcs12 -export -keypbe des-ede3-cbc -certpbe des-ede3-cbc -iter 1 -nomac -passout "pass:$PW" -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -out "$WORK/pbes2-3des.p12" 2>/dev/null || true
openssl pkcs12 -export -iter 1 -passout "pass:$PW" -inkey "$WORK/key.pem" -in "$WORK/cert.pem" -out "$WORK/mac.p12"
seed pkcs12 "$WORK"/*.p12 "$P12"

# SMIMEA: the saved hostile answers, and answers for alice@example.org written by dnspython
# (with name compression): the fuzz identity's certificate as DANE-EE, another usage, an alias.
seed smimea "$ROOT"/crate/tests/vectors/fuzz/smimea/*
if python3 -c 'import dns.message' 2>/dev/null; then
  CERT_HEX="$(openssl x509 -in "$WORK/cert.pem" -outform DER | od -An -v -tx1 | tr -d ' \n')"
  python3 - "$WORK" "$CERT_HEX" <<'PY'
import hashlib, sys, dns.message, dns.rrset, dns.flags
work, cert = sys.argv[1], sys.argv[2]
name = hashlib.sha256(b'alice').hexdigest()[:56] + '._smimecert.example.org.'
for i, (usage, alias) in enumerate([(3, False), (2, False), (3, True)]):
    r = dns.message.make_response(dns.message.make_query(name, 'SMIMEA'))
    r.flags |= dns.flags.AD
    owner = 'certs.example.net.' if alias else name
    if alias:
        r.answer.append(dns.rrset.from_text(name, 300, 'IN', 'CNAME', owner))
    r.answer.append(dns.rrset.from_text(owner, 300, 'IN', 'SMIMEA', f'{usage} 0 0 {cert}'))
    open(f'{work}/smimea-{i}.dns', 'wb').write(r.to_wire())
PY
  seed smimea "$WORK"/smimea-*.dns
fi

for t in "${TARGETS[@]}"; do echo "   $t: $(ls "$CORPUS/$t" | wc -l) seeds"; done

[ "$SECONDS_EACH" = 0 ] && exit 0

# ---------------------------------------------------------------- fuzzing
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
cd "$FUZZ"
mkdir -p "$FUZZ/artifacts"
for t in "${TARGETS[@]}"; do
  echo "== fuzzing $t for $SECONDS_EACH s"
  cargo +nightly fuzz run "$t" "$CORPUS/$t" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -max_len=65536 -timeout=30 -print_final_stats=1 \
    2>&1 | tee "$FUZZ/artifacts/$t.log" | grep -E '^(Done|stat::|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written|INFO: Seed)' || true
done
echo "== crashes and timeouts (minimise with: cargo +nightly fuzz tmin TARGET FILE):"
find "$FUZZ/artifacts" -type f ! -name '*.log' -print 2>/dev/null || true
