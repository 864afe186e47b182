#!/usr/bin/env python3
# An EST client that links its request to the TLS channel (RFC 7030 3.5): it
# enrolls on /simpleenroll with HTTP Basic, after putting the channel binding
# of its own connection (tls-unique from Python's ssl on TLS 1.2, tls-exporter
# from `openssl s_client -keymatexport` on TLS 1.3) into the CSR's
# challengePassword ("right"), a binding of no connection ("wrong"), or no
# challengePassword ("none"). Prints the HTTP status line and body.
#   est_bound.py HOST PORT CAFILE SERIAL TOKEN 1.2|1.3 right|wrong|none TMPDIR
import base64
import os
import socket
import ssl
import subprocess
import sys

host, port, cafile, serial, token, tls, mode, tmp = sys.argv[1:9]


def csr_body(binding):
    cfg = os.path.join(tmp, "bound-req.cnf")
    with open(cfg, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n")
        if mode != "none":
            f.write("attributes = attrs\n[attrs]\nchallengePassword = %s\n" % (
                base64.b64encode(binding if mode == "right" else os.urandom(len(binding))).decode()))
        f.write("[dn]\nCN = %s\n" % serial)
    der = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", os.devnull,
                          "-config", cfg, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der)


def request(body):
    auth = base64.b64encode(("%s:%s" % (serial, token)).encode()).decode()
    head = ("POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: %s:%s\r\n"
            "Authorization: Basic %s\r\nContent-Type: application/pkcs10\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % (host, port, auth, len(body)))
    return head.encode() + body


def answer(raw):
    text = raw.decode(errors="replace")
    start = text.find("HTTP/1.1 ")
    if start < 0:
        return "no HTTP answer"
    head, _, body = text[start:].partition("\r\n\r\n")
    return head.split("\r\n")[0] + "\n" + body


if tls == "1.2":
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((host, int(port))) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(request(csr_body(s.get_channel_binding("tls-unique"))))
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    print(answer(data))
else:
    p = subprocess.Popen(["openssl", "s_client", "-connect", "%s:%s" % (host, port), "-tls1_3",
                          "-CAfile", cafile, "-keymatexport", "EXPORTER-Channel-Binding",
                          "-keymatexportlen", "32", "-ign_eof"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    binding = None
    for line in p.stdout:
        line = line.decode(errors="replace").strip()
        if line.startswith("Keying material:"):
            binding = bytes.fromhex(line.split(":", 1)[1].strip())
            break
    if binding is None:
        print("no keying material from s_client")
        sys.exit(1)
    p.stdin.write(request(csr_body(binding)))
    p.stdin.flush()
    print(answer(p.stdout.read()))
    p.wait()
