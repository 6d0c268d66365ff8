#!/bin/bash
# start.sh [--foreground] INSTANCE_DIR [DNS_SERVER_IP]
# Builds a self-contained Postfix instance in INSTANCE_DIR from the templates beside
# this script and runs `postfix start-fg` inside a private mount namespace whose
# /etc/resolv.conf points at DNS_SERVER_IP (port 53 is implied: glibc's resolv.conf has
# no port field). Listens on 127.0.0.1:2525 (smtpd_delay_reject=yes), 127.0.0.1:2527
# (smtpd_delay_reject=no), 127.0.0.1:2465 (implicit TLS) and 127.0.0.2:2526 (the "remote MX" for verification probes).
#   --foreground: exec Postfix in the foreground (the test harness keeps it as its child
#                 and waits for the 220 greeting itself);
#   otherwise:    run it in the background and return once 127.0.0.1:2525 greets.
# Needs root (unshare/mount; Postfix drops to user postfix itself).
set -euo pipefail
FG=0
if [ "${1:-}" = --foreground ]; then FG=1; shift; fi
SRC=$(cd "$(dirname "$0")" && pwd)
DIR=${1:?usage: start.sh [--foreground] INSTANCE_DIR [DNS_SERVER_IP]}
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
DNS=${2:-127.0.5.53}
mkdir -p "$DIR"/etc/sasl "$DIR"/spool "$DIR"/data "$DIR"/tls
for f in main.cf master.cf; do sed "s#@DIR@#$DIR#g" "$SRC/$f.in" > "$DIR/etc/$f"; done
sed "s#@DIR@#$DIR#g" "$SRC/sasl/smtpd.conf" > "$DIR/etc/sasl/smtpd.conf"
cp "$SRC"/{sender_access,sender_login,transport,verify_rcpt,policyd-spf.conf,data_access,header_checks} "$DIR/etc/"
# self-signed certificate for STARTTLS (once per instance)
[ -s "$DIR/tls/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
    -subj /CN=mx.example.test -addext subjectAltName=DNS:mx.example.test \
    -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" 2>/dev/null
# a private CA and a certificate it signs for mx.example.test (the :2587 listener):
# `probe --tls-ca $DIR/tls/ca.pem` trusts it; without --tls-ca it is an unknown issuer
if [ ! -s "$DIR/tls/leaf.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mailsleuth lab CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=mx.example.test \
      -keyout "$DIR/tls/leaf.key" -out "$DIR/tls/leaf.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:mx.example.test\n' > "$DIR/tls/leaf.ext"
  openssl x509 -req -in "$DIR/tls/leaf.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" -CAcreateserial \
      -days 3650 -extfile "$DIR/tls/leaf.ext" -out "$DIR/tls/leaf.pem" 2>/dev/null
fi
# SASL users (Cyrus sasldb, plaintext secrets so CRAM-MD5 works too):
# alice@example.test / alicepw, bob@example.test / bobpw
rm -f "$DIR/etc/sasldb2"
for u in alice bob; do echo "${u}pw" | saslpasswd2 -p -c -f "$DIR/etc/sasldb2" -u example.test $u; done
chown root:postfix "$DIR/etc/sasldb2"; chmod 640 "$DIR/etc/sasldb2"
chown postfix "$DIR/data"
printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$DNS" > "$DIR/etc/resolv.conf"
# Back-date generated files: Postfix re-reads a texthash: map (and main.cf) every
# 300 ms until its mtime is in the past, so freshly written files add ~2 s.
touch -d '1 minute ago' "$DIR"/etc/* "$DIR"/etc/sasl/*
# First run: let Postfix create its queue directories. Later runs: empty the queues
# and set the quick-start flag, which makes postfix-script skip its integrity checks
# (start -> 220 greeting in ~0.2 s instead of ~2.5 s).
[ -d "$DIR/spool/pid" ] || postfix -c "$DIR/etc" check
for q in incoming active deferred hold corrupt maildrop bounce defer trace flush saved; do
  find "$DIR/spool/$q" -type f -delete 2>/dev/null || true
done
touch "$DIR/spool/quick-start"
# Private mount namespace: only Postfix (and its children, e.g. policyd-spf) see this resolv.conf.
RUN="mount --bind '$DIR/etc/resolv.conf' /etc/resolv.conf && exec postfix -c '$DIR/etc' start-fg"
if [ $FG = 1 ]; then
  exec unshare --mount --propagation private sh -c "$RUN"
fi
unshare --mount --propagation private sh -c "$RUN" > "$DIR/maillog" 2>&1 &
for i in $(seq 1 1000); do   # wait for the 220 greeting, up to ~10 s
  if (exec 3<>/dev/tcp/127.0.0.1/2525 && read -t 2 -r line <&3 && [[ $line == 220* ]] && printf 'QUIT\r\n' >&3) 2>/dev/null; then
    exit 0
  fi
  sleep 0.01
done
echo "postfix did not come up; see $DIR/maillog" >&2; exit 1
