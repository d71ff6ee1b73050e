#!/usr/bin/env bash
# Makes the certificates the TLS tests need, in DIR: a CA and, signed by it, a server
# certificate for localhost/127.0.0.1, an expired one, one for another host name, and a
# client certificate; plus a second CA and a server certificate signed by it. EC keys, PEM.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ca() {  # name, subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 2 -subj "/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
csr() {  # name, common name
    key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2"
}

ca ca "SocketIpc Test CA"
ca other-ca "Some Other CA"

printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n' > wronghost.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext

csr server localhost
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
    -days 2 -extfile server.ext 2>/dev/null
csr wronghost wrong.example
openssl x509 -req -in wronghost.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out wronghost.crt \
    -days 2 -extfile wronghost.ext 2>/dev/null
csr untrusted localhost
openssl x509 -req -in untrusted.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial \
    -out untrusted.crt -days 2 -extfile server.ext 2>/dev/null
csr client "test client"
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt \
    -days 2 -extfile client.ext 2>/dev/null

# Expired: "openssl x509" cannot date a certificate in the past; "openssl ca" can.
csr expired localhost
: > index.txt
echo 1000 > serial
cat > ca.cnf <<'CNF'
[ ca ]
default_ca = test_ca
[ test_ca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
[ any ]
commonName = supplied
CNF
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile server.ext -notext 2>/dev/null
echo "certificates in $dir"
