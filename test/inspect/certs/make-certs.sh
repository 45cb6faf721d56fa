#!/bin/bash
# Makes the PEM certificates the inspect tests parse (keys are thrown away): fixed validity
# dates via `openssl ca -startdate/-enddate`, so that the expected dates and daysLeft in the
# tests never change. Run from anywhere: bash test/inspect/certs/make-certs.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p newcerts && : > index.txt && echo 1000 > serial
cat > ca.cnf <<'CNF'
[ ca ]
default_ca = lab
[ lab ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = yes
[ any ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
userId = optional
emailAddress = optional
[ leaf ]
basicConstraints = CA:FALSE
CNF
# one self-signed certificate: NAME SUBJECT START END [extra req args]
mk() {
  local name=$1 subj=$2 start=$3 end=$4; shift 4
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -utf8 -key "$name.key" -subj "$subj" "$@" -out "$name.csr"
  openssl ca -batch -utf8 -config ca.cnf -selfsign -keyfile "$name.key" -in "$name.csr" \
    -startdate "$start" -enddate "$end" -extensions leaf -notext -preserveDN "$@" -out "$here/$name.pem" 2>/dev/null
}
mk valid '/C=US/O=Pantap Lab/CN=valid.pantap.test' 20240101000000Z 20991231235959Z
mk expired '/C=US/O=Pantap Lab/CN=expired.pantap.test' 20200101000000Z 20210101120000Z
mk special '/C=US/O=Example, Inc./OU=#1 <ops>; "x"/CN=a\,b\+c' 20250301000000Z 20300301000000Z
mk multi $'/C=DE/O=Caf\xc3\xa9/CN=host+UID=42' 20250301000000Z 20300301000000Z -multivalue-rdn
for f in valid expired special multi; do
  openssl x509 -in "$here/$f.pem" -noout -subject -issuer -startdate -enddate -nameopt RFC2253,-esc_msb
done
