#!/usr/bin/env python3
"""End-to-end test of Kura with boto3, over HTTP and then HTTPS.

Starts `kura server` on a free loopback port with a temp data dir and fixed
root credentials (the binary comes from argv[1] or $KURA_BIN; without either
it builds ./cmd/kura), runs the same suite over plain HTTP and over HTTPS with
the server's self-signed certificate (boto3 sends aws-chunked bodies with
trailing checksums only over TLS), prints one line per check and ends with
"N passed, M failed". Exits 1 if any check failed. Needs only boto3 and the
standard library.
"""

import base64
import concurrent.futures
import hashlib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

# Against a running deployment (a cluster from scripts/cluster.sh): its URL
# in KURA_ENDPOINT (the HTTP round) and KURA_ENDPOINT_HTTPS with
# KURA_ENDPOINT_CA (the HTTPS round, reported as not run without it), its
# root credentials in KURA_ENDPOINT_ACCESS_KEY and KURA_ENDPOINT_SECRET_KEY.
ACCESS_KEY = os.environ.get("KURA_ENDPOINT_ACCESS_KEY") or "AKIAKURAE2E000000002"
SECRET_KEY = os.environ.get("KURA_ENDPOINT_SECRET_KEY") or "kura-e2e-boto3-secret-000000000000000000"
REGION = "us-east-1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Nothing of the user's AWS setup may leak in: drop every AWS_* variable and
# point the config files at empty temp files before botocore reads them.
WORK = tempfile.mkdtemp(prefix="kura-e2e-boto3.")
for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
for _name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ[_name] = os.path.join(WORK, _name.lower())
    open(os.environ[_name], "w").close()
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

import boto3  # noqa: E402  (after the environment is clean)
import botocore  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

PASSED = 0
FAILED = 0
SKIPPED = 0

# botocore 1.36 (January 2025) started sending CRC32 checksums by default and
# learned ChecksumType, IfNoneMatch on PUT and the *_checksum_* settings.
# Debian's python3-boto3, CI's fallback, is older: checks that test those
# client defaults are skipped there rather than failed.
MODERN = "request_checksum_calculation" in Config.OPTION_DEFAULTS


def ok(name):
    global PASSED
    PASSED += 1
    print(f"ok   {name}", flush=True)


def fail(name, detail=""):
    global FAILED
    FAILED += 1
    print(f"FAIL {name}", flush=True)
    for line in str(detail).splitlines()[:20]:
        print(f"     {line}", flush=True)


def modern(name):
    """True if this botocore has the 2025 checksum defaults; else notes a skip."""
    global SKIPPED
    if not MODERN:
        SKIPPED += 1
        print(f"skip {name} (botocore {botocore.__version__} predates default checksums)", flush=True)
    return MODERN


def expect(name, want, got):
    if want == got:
        ok(name)
    else:
        fail(name, f"want: {want!r}\ngot:  {got!r}")


def check(name, fn):
    """Runs fn; passes unless it raises. Returns fn's result or None."""
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - any failure is the test's result
        fail(name, f"{type(e).__name__}: {e}")
        return None
    ok(name)
    return out


def expect_error(name, code, fn):
    """Passes when fn raises a ClientError whose Error.Code is code."""
    try:
        fn()
    except ClientError as e:
        expect(name, code, e.response.get("Error", {}).get("Code"))
        return
    except Exception as e:  # noqa: BLE001
        fail(name, f"want ClientError {code}, got {type(e).__name__}: {e}")
        return
    fail(name, f"succeeded, want error {code}")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


# --- the server ------------------------------------------------------------


class Server:
    """A kura server on a free loopback port in its own data dir."""

    def __init__(self, binary, name, *flags):
        self.dir = os.path.join(WORK, name)
        self.log = open(self.dir + ".log", "w+")
        env = dict(os.environ, KURA_ROOT_ACCESS_KEY=ACCESS_KEY, KURA_ROOT_SECRET_KEY=SECRET_KEY)
        self.proc = subprocess.Popen(
            [binary, "server", "--data", self.dir, "--listen", "127.0.0.1:0", *flags],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL,
        )
        self.url = self._wait_for_banner()
        self.cert = os.path.join(self.dir, "tls", "cert.pem")

    def _wait_for_banner(self):
        prefix = "Kura is serving S3 at "
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log.name) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line[len(prefix):].split()[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(self.log.name) as f:
            raise SystemExit("kura server did not start:\n" + f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Endpoint:
    """A running deployment (KURA_ENDPOINT): nothing to start or stop."""

    def __init__(self, url, cert):
        self.url, self.cert = url, cert

    def stop(self):
        pass


def kura_binary():
    if len(sys.argv) > 1:
        return os.path.abspath(sys.argv[1])
    if os.environ.get("KURA_BIN"):
        return os.path.abspath(os.environ["KURA_BIN"])
    out = os.path.join(WORK, "kura")
    env = dict(os.environ, PATH="/usr/local/go/bin:" + os.environ.get("PATH", ""))
    subprocess.run(["go", "build", "-o", out, "./cmd/kura"], cwd=ROOT, env=env, check=True)
    return out


def client_for(srv, tls, secret=SECRET_KEY, **config):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=srv.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        region_name=REGION,
        verify=srv.cert if tls else None,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2, "mode": "standard"}, **config),
    )


def urlopen(url, srv, tls, method="GET", data=None):
    """Fetches url with urllib, trusting the server's certificate over TLS."""
    ctx = ssl.create_default_context(cafile=srv.cert) if tls else None
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --- the suite -------------------------------------------------------------


def suite(s3, srv, tls, tag):
    p = f"{tag}: "
    bucket = f"e2e-boto3-{tag}"
    files = os.path.join(WORK, f"files-{tag}")
    os.makedirs(files)

    check(p + "create_bucket", lambda: s3.create_bucket(Bucket=bucket))
    check(p + "head_bucket", lambda: s3.head_bucket(Bucket=bucket))
    # us-east-1's legacy rule: re-creating your own bucket answers 200.
    check(p + "create_bucket again (own bucket, us-east-1): 200", lambda: s3.create_bucket(Bucket=bucket))
    names = check(p + "list_buckets", lambda: [b["Name"] for b in s3.list_buckets()["Buckets"]])
    expect(p + "list_buckets has the bucket", True, bucket in (names or []))

    objects(p, s3, bucket)
    ranges(p, s3, bucket)
    transfers(p, s3, bucket, files)
    if modern(p + "when_required (legacy) checksum settings"):
        legacy_checksums(p, srv, tls, bucket, files)
    listing(p, s3, bucket)
    presigned(p, s3, srv, tls, bucket)
    post_forms(p, srv, tls, bucket)
    copies(p, s3, bucket)
    versioning(p, s3, bucket)
    errors(p, s3, srv, tls, bucket)
    cleanup(p, s3, bucket)


def objects(p, s3, bucket):
    body = b"hello from boto3\n"
    r = check(p + "put_object", lambda: s3.put_object(
        Bucket=bucket, Key="obj/hello.txt", Body=body, ContentType="text/x-kura",
        Metadata={"color": "blue"}))
    if r:
        expect(p + "put_object: ETag is the MD5", '"%s"' % hashlib.md5(body).hexdigest(), r["ETag"])
        expect(p + "put_object: ServerSideEncryption", "AES256", r.get("ServerSideEncryption"))
        if modern(p + "put_object: default CRC32 checksum"):
            expect(p + "put_object: default CRC32 checksum", crc32_b64(body), r.get("ChecksumCRC32"))
    r = check(p + "get_object", lambda: s3.get_object(Bucket=bucket, Key="obj/hello.txt"))
    if r:
        expect(p + "get_object: body", body, r["Body"].read())
        expect(p + "get_object: type, metadata, SSE", ("text/x-kura", {"color": "blue"}, "AES256"),
               (r["ContentType"], r["Metadata"], r.get("ServerSideEncryption")))
    r = check(p + "head_object", lambda: s3.head_object(Bucket=bucket, Key="obj/hello.txt", ChecksumMode="ENABLED"))
    if r:
        expect(p + "head_object: length and SSE", (len(body), "AES256"),
               (r["ContentLength"], r.get("ServerSideEncryption")))
        if modern(p + "head_object: the default CRC32 checksum"):
            expect(p + "head_object: the default CRC32 checksum", crc32_b64(body), r.get("ChecksumCRC32"))
    r = check(p + "put_object with an explicit SHA256 checksum", lambda: s3.put_object(
        Bucket=bucket, Key="obj/sha.txt", Body=body, ChecksumAlgorithm="SHA256"))
    if r:
        expect(p + "SHA256 checksum echoed", base64.b64encode(hashlib.sha256(body).digest()).decode(),
               r.get("ChecksumSHA256"))
    expect_error(p + "get_object If-Match mismatch: PreconditionFailed", "PreconditionFailed",
                 lambda: s3.get_object(Bucket=bucket, Key="obj/hello.txt", IfMatch='"0123"'))
    etag = '"%s"' % hashlib.md5(body).hexdigest()
    expect_error(p + "get_object If-None-Match match: 304", "304",
                 lambda: s3.get_object(Bucket=bucket, Key="obj/hello.txt", IfNoneMatch=etag))
    if modern(p + "put_object If-None-Match *"):
        expect_error(p + "put_object If-None-Match * on an existing key: PreconditionFailed", "PreconditionFailed",
                     lambda: s3.put_object(Bucket=bucket, Key="obj/hello.txt", Body=b"x", IfNoneMatch="*"))
    check(p + "put_object_tagging", lambda: s3.put_object_tagging(
        Bucket=bucket, Key="obj/hello.txt",
        Tagging={"TagSet": [{"Key": "env", "Value": "e2e"}, {"Key": "team", "Value": "kura"}]}))
    r = check(p + "get_object_tagging", lambda: s3.get_object_tagging(Bucket=bucket, Key="obj/hello.txt"))
    if r:
        expect(p + "tag set", {"env": "e2e", "team": "kura"}, {t["Key"]: t["Value"] for t in r["TagSet"]})


def ranges(p, s3, bucket):
    data = bytes(range(256)) * 40  # 10,240 bytes
    s3.put_object(Bucket=bucket, Key="obj/range.bin", Body=data)
    for rng, want, crange in (
        ("bytes=0-0", data[:1], "bytes 0-0/10240"),
        ("bytes=100-199", data[100:200], "bytes 100-199/10240"),
        ("bytes=10000-", data[10000:], "bytes 10000-10239/10240"),
        ("bytes=-17", data[-17:], "bytes 10223-10239/10240"),
        ("bytes=10200-99999", data[10200:], "bytes 10200-10239/10240"),
    ):
        r = check(p + f"get_object Range {rng}", lambda: s3.get_object(Bucket=bucket, Key="obj/range.bin", Range=rng))
        if r:
            expect(p + f"  {rng}: 206, Content-Range, bytes",
                   (206, crange, want),
                   (r["ResponseMetadata"]["HTTPStatusCode"], r.get("ContentRange"), r["Body"].read()))
    expect_error(p + "get_object Range past the end: InvalidRange", "InvalidRange",
                 lambda: s3.get_object(Bucket=bucket, Key="obj/range.bin", Range="bytes=20000-"))


def transfers(p, s3, bucket, files):
    big = os.path.join(files, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(20 << 20))
    cfg = TransferConfig()  # defaults: 8 MiB threshold and parts, CRC32 checksums
    check(p + "upload_file 20 MiB (transfer manager)", lambda: s3.upload_file(big, bucket, "xfer/big.bin", Config=cfg))
    r = check(p + "head_object of the upload", lambda: s3.head_object(Bucket=bucket, Key="xfer/big.bin", ChecksumMode="ENABLED"))
    if r:
        expect(p + "upload_file went multipart (ETag -3)", True, r["ETag"].endswith('-3"'))
        expect(p + "upload_file object size and SSE", (20 << 20, "AES256"),
               (r["ContentLength"], r.get("ServerSideEncryption")))
        algs = [k for k in r if k.startswith("Checksum") and k != "ChecksumType"]
        if modern(p + "upload_file object keeps a checksum"):
            expect(p + "upload_file object keeps a checksum", True, len(algs) == 1)
    out = os.path.join(files, "big.out")
    check(p + "download_file 20 MiB", lambda: s3.download_file(bucket, "xfer/big.bin", out, Config=cfg))
    expect(p + "download_file sha256", file_sha256(big), file_sha256(out) if os.path.exists(out) else None)
    r = check(p + "get_object_attributes ObjectParts", lambda: s3.get_object_attributes(
        Bucket=bucket, Key="xfer/big.bin", ObjectAttributes=["ObjectParts", "ObjectSize", "Checksum"]))
    if r:
        expect(p + "3 parts, 20 MiB", (3, 20 << 20), (r.get("ObjectParts", {}).get("TotalPartsCount"), r.get("ObjectSize")))
    # managed copy: over the threshold the transfer manager copies with UploadPartCopy
    check(p + "copy (transfer manager, UploadPartCopy)", lambda: s3.copy(
        {"Bucket": bucket, "Key": "xfer/big.bin"}, bucket, "xfer/big-copy.bin", Config=cfg))
    r = check(p + "get_object of the managed copy", lambda: s3.get_object(Bucket=bucket, Key="xfer/big-copy.bin"))
    if r:
        expect(p + "managed copy sha256", file_sha256(big), sha256(r["Body"].read()))
    # an explicit SHA256 makes a composite SHA256 multipart object
    check(p + "upload_file with ChecksumAlgorithm=SHA256", lambda: s3.upload_file(
        big, bucket, "xfer/big-sha256.bin", ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=cfg))
    r = check(p + "head_object SHA256 upload", lambda: s3.head_object(
        Bucket=bucket, Key="xfer/big-sha256.bin", ChecksumMode="ENABLED"))
    if r:
        expect(p + "composite SHA256 checksum over 3 parts", True, r.get("ChecksumSHA256", "").endswith("-3"))
        if modern(p + "ChecksumType COMPOSITE"):
            expect(p + "ChecksumType COMPOSITE", "COMPOSITE", r.get("ChecksumType"))
    # SHA512, one of the 2026 algorithms that botocore computes without awscrt
    if "SHA512" in s3.meta.service_model.shape_for("ChecksumAlgorithm").enum:
        check(p + "upload_file with ChecksumAlgorithm=SHA512", lambda: s3.upload_file(
            big, bucket, "xfer/big-sha512.bin", ExtraArgs={"ChecksumAlgorithm": "SHA512"}, Config=cfg))
        r = check(p + "head_object SHA512 upload", lambda: s3.head_object(
            Bucket=bucket, Key="xfer/big-sha512.bin", ChecksumMode="ENABLED"))
        if r:
            parts = []
            with open(big, "rb") as f:
                while chunk := f.read(cfg.multipart_chunksize):
                    parts.append(hashlib.sha512(chunk).digest())
            want = base64.b64encode(hashlib.sha512(b"".join(parts)).digest()).decode() + "-%d" % len(parts)
            expect(p + "composite SHA512 checksum of the parts", want, r.get("ChecksumSHA512"))
            expect(p + "SHA512 upload is COMPOSITE", "COMPOSITE", r.get("ChecksumType"))
        r = check(p + "put_object with ChecksumAlgorithm=SHA512", lambda: s3.put_object(
            Bucket=bucket, Key="obj/sha512.txt", Body=b"hello sha512", ChecksumAlgorithm="SHA512"))
        if r:
            expect(p + "SHA512 checksum echoed", base64.b64encode(hashlib.sha512(b"hello sha512").digest()).decode(),
                   r.get("ChecksumSHA512"))
    else:
        print(f"skip {p}SHA512 (botocore {botocore.__version__} predates the 2026 checksum algorithms)", flush=True)
    # a 3 MiB upload stays single-part
    small = os.path.join(files, "small.bin")
    with open(small, "wb") as f:
        f.write(os.urandom(3 << 20))
    check(p + "upload_fileobj 3 MiB", lambda: s3.upload_fileobj(open(small, "rb"), bucket, "xfer/small.bin", Config=cfg))
    r = check(p + "head_object 3 MiB", lambda: s3.head_object(Bucket=bucket, Key="xfer/small.bin"))
    if r:
        expect(p + "3 MiB upload is single-part", False, "-" in r["ETag"])


def legacy_checksums(p, srv, tls, bucket, files):
    """Clients configured the pre-2025 way send no checksums at all."""
    s3 = client_for(srv, tls, request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    big = os.path.join(files, "big.bin")
    check(p + "when_required client: upload_file 20 MiB", lambda: s3.upload_file(big, bucket, "xfer/legacy.bin"))
    r = check(p + "when_required client: head_object", lambda: s3.head_object(
        Bucket=bucket, Key="xfer/legacy.bin", ChecksumMode="ENABLED"))
    if r:
        expect(p + "server computes a full-object CRC64NVME", (True, "FULL_OBJECT"),
               ("ChecksumCRC64NVME" in r, r.get("ChecksumType")))
    out = os.path.join(files, "legacy.out")
    check(p + "when_required client: download_file", lambda: s3.download_file(bucket, "xfer/legacy.bin", out))
    expect(p + "when_required round trip sha256", file_sha256(big), file_sha256(out) if os.path.exists(out) else None)


def put_many(s3, bucket, keys):
    def put(k):
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(put, keys))


def listing(p, s3, bucket):
    keys = sorted(f"many/{d}/{i:04d}" for d in ("a", "b", "c") for i in range(400))
    check(p + "put 1,200 keys", lambda: put_many(s3, bucket, keys))
    pag = s3.get_paginator("list_objects_v2")
    pages = check(p + "list_objects_v2 paginator", lambda: list(pag.paginate(Bucket=bucket, Prefix="many/")))
    if pages:
        got = [o["Key"] for pg in pages for o in pg.get("Contents", [])]
        expect(p + "all 1,200 keys in order over 2 pages", (keys, 2), (got, len(pages)))
    pages = check(p + "list_objects_v2 paginator PageSize=250",
                  lambda: list(pag.paginate(Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 250})))
    if pages:
        got = [o["Key"] for pg in pages for o in pg.get("Contents", [])]
        expect(p + "all keys over 5 pages, KeyCount per page", (keys, 5, [250] * 4 + [200]),
               (got, len(pages), [pg["KeyCount"] for pg in pages]))
    pages = check(p + "list_objects_v2 paginator with Delimiter",
                  lambda: list(pag.paginate(Bucket=bucket, Prefix="many/", Delimiter="/",
                                            PaginationConfig={"PageSize": 2})))
    if pages:
        got = [c["Prefix"] for pg in pages for c in pg.get("CommonPrefixes", [])]
        expect(p + "common prefixes across pages", ["many/a/", "many/b/", "many/c/"], got)
    r = check(p + "list_objects_v2 StartAfter", lambda: s3.list_objects_v2(
        Bucket=bucket, Prefix="many/", StartAfter="many/c/0397"))
    if r:
        expect(p + "StartAfter skips to the end", ["many/c/0398", "many/c/0399"], [o["Key"] for o in r.get("Contents", [])])
    pages = check(p + "list_objects (V1) paginator",
                  lambda: list(s3.get_paginator("list_objects").paginate(
                      Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 500})))
    if pages:
        got = [o["Key"] for pg in pages for o in pg.get("Contents", [])]
        expect(p + "V1: all keys over 3 pages", (keys, 3), (got, len(pages)))


def presigned(p, s3, srv, tls, bucket):
    body = b"presigned body\n"
    s3.put_object(Bucket=bucket, Key="pre/signed file+name.txt", Body=body)
    # boto3 presigns with SigV2 (AWSAccessKeyId/Signature/Expires) unless the
    # client asks for s3v4; Kura verifies SigV4 only, so presign with s3v4 and
    # check that a default URL at least fails with a clear answer.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed file+name.txt"}, ExpiresIn=300)
    status, resp = urlopen(url, srv, tls)
    expect(p + "default (SigV2) presigned GET: served, or a clear NotImplemented", True,
           (status, resp) == (200, body) or (status == 501 and b"Signature Version 2" in resp))
    s3 = client_for(srv, tls, signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed file+name.txt"}, ExpiresIn=300)
    expect(p + "presigned GET (s3v4) with urllib", (200, body), urlopen(url, srv, tls))
    status, resp = urlopen(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), srv, tls)
    expect(p + "tampered presigned GET: 403 SignatureDoesNotMatch", (403, True),
           (status, b"<Code>SignatureDoesNotMatch</Code>" in resp))
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre/put.txt"}, ExpiresIn=300)
    status, _ = urlopen(url, srv, tls, method="PUT", data=b"put through a presigned URL")
    expect(p + "presigned PUT with urllib", 200, status)
    r = check(p + "get the presigned PUT", lambda: s3.get_object(Bucket=bucket, Key="pre/put.txt"))
    if r:
        expect(p + "presigned PUT body", b"put through a presigned URL", r["Body"].read())


def post_form(url, fields, filename, data, srv, tls):
    """POSTs an HTML-style multipart form (fields, then the file) with urllib."""
    boundary = "----kura-e2e-" + os.urandom(8).hex()
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    ctx = ssl.create_default_context(cafile=srv.cert) if tls else None
    req = urllib.request.Request(url, method="POST", data=b"".join(parts),
                                 headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_forms(p, srv, tls, bucket):
    """Browser POST uploads from boto3's generate_presigned_post (SigV4 and SigV2)."""
    s3 = client_for(srv, tls, signature_version="s3v4")
    body = b"posted from a form\n"
    post = s3.generate_presigned_post(bucket, "post/${filename}", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 1024]],
                                      ExpiresIn=300)
    status, resp = post_form(post["url"], post["fields"], "hello.txt", body, srv, tls)
    expect(p + "presigned POST (s3v4): 201 PostResponse", (201, True), (status, b"<Key>post/hello.txt</Key>" in resp))
    r = check(p + "get the POSTed object", lambda: s3.get_object(Bucket=bucket, Key="post/hello.txt"))
    if r:
        expect(p + "POSTed body", body, r["Body"].read())
    status, resp = post_form(post["url"], post["fields"], "big.bin", b"x" * 2048, srv, tls)
    expect(p + "presigned POST over content-length-range: EntityTooLarge", (400, True),
           (status, b"<Code>EntityTooLarge</Code>" in resp))
    fields = dict(post["fields"], policy=post["fields"]["policy"][:-4] + "AAAA")
    status, resp = post_form(post["url"], fields, "hello.txt", body, srv, tls)
    expect(p + "presigned POST with a tampered policy: 403", (403, True),
           (status, b"<Code>SignatureDoesNotMatch</Code>" in resp))
    v2 = client_for(srv, tls, signature_version="s3")
    post = v2.generate_presigned_post(bucket, "post/v2.txt", ExpiresIn=300)
    status, _ = post_form(post["url"], post["fields"], "v2.txt", body, srv, tls)
    expect(p + "presigned POST (SigV2): 204", 204, status)


def copies(p, s3, bucket):
    r = check(p + "copy_object", lambda: s3.copy_object(
        Bucket=bucket, Key="copy/hello.txt", CopySource={"Bucket": bucket, "Key": "obj/hello.txt"}))
    if r:
        expect(p + "copy_object ETag and SSE", ('"%s"' % hashlib.md5(b"hello from boto3\n").hexdigest(), "AES256"),
               (r["CopyObjectResult"]["ETag"], r.get("ServerSideEncryption")))
    r = check(p + "head copied object", lambda: s3.head_object(Bucket=bucket, Key="copy/hello.txt"))
    if r:
        expect(p + "copy keeps type and metadata", ("text/x-kura", {"color": "blue"}), (r["ContentType"], r["Metadata"]))
    check(p + "copy_object REPLACE", lambda: s3.copy_object(
        Bucket=bucket, Key="copy/replaced.txt", CopySource={"Bucket": bucket, "Key": "obj/hello.txt"},
        MetadataDirective="REPLACE", Metadata={"shape": "square"}, ContentType="text/plain"))
    r = check(p + "head replaced copy", lambda: s3.head_object(Bucket=bucket, Key="copy/replaced.txt"))
    if r:
        expect(p + "REPLACE sets type and metadata", ("text/plain", {"shape": "square"}), (r["ContentType"], r["Metadata"]))
    check(p + "copy_object onto itself with REPLACE", lambda: s3.copy_object(
        Bucket=bucket, Key="copy/replaced.txt", CopySource={"Bucket": bucket, "Key": "copy/replaced.txt"},
        MetadataDirective="REPLACE", Metadata={"shape": "circle"}))
    expect_error(p + "copy_object onto itself without changes: InvalidRequest", "InvalidRequest",
                 lambda: s3.copy_object(Bucket=bucket, Key="copy/replaced.txt",
                                        CopySource={"Bucket": bucket, "Key": "copy/replaced.txt"}))


def versioning(p, s3, bucket):
    vb = bucket + "-ver"
    s3.create_bucket(Bucket=vb)
    check(p + "put_bucket_versioning Enabled", lambda: s3.put_bucket_versioning(
        Bucket=vb, VersioningConfiguration={"Status": "Enabled"}))
    expect(p + "get_bucket_versioning", "Enabled", s3.get_bucket_versioning(Bucket=vb).get("Status"))
    v1 = s3.put_object(Bucket=vb, Key="doc", Body=b"one").get("VersionId")
    v2 = s3.put_object(Bucket=vb, Key="doc", Body=b"two").get("VersionId")
    expect(p + "two distinct version ids", True, bool(v1) and bool(v2) and v1 != v2)
    r = check(p + "delete_object makes a delete marker", lambda: s3.delete_object(Bucket=vb, Key="doc"))
    dm = r.get("VersionId") if r else None
    expect(p + "DeleteMarker is true", True, bool(r and r.get("DeleteMarker")))
    expect_error(p + "get_object under a delete marker: NoSuchKey", "NoSuchKey", lambda: s3.get_object(Bucket=vb, Key="doc"))
    expect_error(p + "head_object under a delete marker: 404", "404", lambda: s3.head_object(Bucket=vb, Key="doc"))
    r = check(p + "list_object_versions", lambda: s3.list_object_versions(Bucket=vb))
    if r:
        expect(p + "versions newest first, one latest delete marker",
               ([v2, v1], [False, False], [(dm, True)]),
               ([v["VersionId"] for v in r.get("Versions", [])], [v["IsLatest"] for v in r.get("Versions", [])],
                [(d["VersionId"], d["IsLatest"]) for d in r.get("DeleteMarkers", [])]))
    r = check(p + "get_object VersionId", lambda: s3.get_object(Bucket=vb, Key="doc", VersionId=v1))
    if r:
        expect(p + "old version body and id", (b"one", v1), (r["Body"].read(), r.get("VersionId")))
    expect_error(p + "get_object VersionId of the delete marker: MethodNotAllowed", "MethodNotAllowed",
                 lambda: s3.get_object(Bucket=vb, Key="doc", VersionId=dm))
    check(p + "delete the delete marker", lambda: s3.delete_object(Bucket=vb, Key="doc", VersionId=dm))
    r = check(p + "latest version is back", lambda: s3.get_object(Bucket=vb, Key="doc"))
    if r:
        expect(p + "latest body", b"two", r["Body"].read())
    # clean up every version so the bucket can go
    vs = s3.list_object_versions(Bucket=vb)
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in vs.get("Versions", []) + vs.get("DeleteMarkers", [])]
    r = check(p + "delete_objects every version", lambda: s3.delete_objects(Bucket=vb, Delete={"Objects": objs}))
    if r:
        expect(p + "delete_objects: no errors", [], r.get("Errors", []))
    check(p + "delete_bucket the versioned bucket", lambda: s3.delete_bucket(Bucket=vb))


def errors(p, s3, srv, tls, bucket):
    expect_error(p + "NoSuchKey", "NoSuchKey", lambda: s3.get_object(Bucket=bucket, Key="nope/never"))
    expect_error(p + "head_object missing: 404", "404", lambda: s3.head_object(Bucket=bucket, Key="nope/never"))
    expect_error(p + "NoSuchBucket (get_object)", "NoSuchBucket",
                 lambda: s3.get_object(Bucket="e2e-no-such-bucket", Key="k"))
    expect_error(p + "NoSuchBucket (list_objects_v2)", "NoSuchBucket",
                 lambda: s3.list_objects_v2(Bucket="e2e-no-such-bucket"))
    expect_error(p + "NoSuchBucket (delete_bucket)", "NoSuchBucket", lambda: s3.delete_bucket(Bucket="e2e-no-such-bucket"))
    expect_error(p + "BucketNotEmpty", "BucketNotEmpty", lambda: s3.delete_bucket(Bucket=bucket))
    expect_error(p + "NoSuchUpload", "NoSuchUpload",
                 lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId="0123456789abcdef0123456789abcdef"))
    expect_error(p + "InvalidBucketName", "InvalidBucketName", lambda: s3.create_bucket(Bucket="Bad_Bucket_Name"))
    expect_error(p + "NoSuchTagSet on bucket tagging", "NoSuchTagSet", lambda: s3.get_bucket_tagging(Bucket=bucket))
    canon = s3.list_buckets()["Owner"]["ID"]
    expect(p + "ListBuckets Owner is a canonical user id (64 hex)", True,
           len(canon) == 64 and all(c in "0123456789abcdef" for c in canon))
    expect(p + "GetObjectAcl Owner is the canonical id", canon,
           s3.get_object_acl(Bucket=bucket, Key="obj/hello.txt")["Owner"]["ID"])
    # x-amz-expected-bucket-owner takes the 12-digit account id.
    sts = boto3.session.Session().client("sts", endpoint_url=srv.url, aws_access_key_id=ACCESS_KEY,
                                         aws_secret_access_key=SECRET_KEY, region_name=REGION,
                                         verify=srv.cert if tls else None)
    owner = sts.get_caller_identity()["Account"]
    check(p + "ExpectedBucketOwner (the owner)", lambda: s3.head_object(
        Bucket=bucket, Key="obj/hello.txt", ExpectedBucketOwner=owner))
    expect_error(p + "ExpectedBucketOwner (another account): AccessDenied", "AccessDenied",
                 lambda: s3.get_object(Bucket=bucket, Key="obj/hello.txt", ExpectedBucketOwner="111122223333"))
    expect_error(p + "ExpectedSourceBucketOwner (another account): AccessDenied", "AccessDenied",
                 lambda: s3.copy_object(Bucket=bucket, Key="copy/x", CopySource={"Bucket": bucket, "Key": "obj/hello.txt"},
                                        ExpectedSourceBucketOwner="111122223333"))
    bad = client_for(srv, tls, secret="wrong" * 8)
    expect_error(p + "wrong secret: SignatureDoesNotMatch", "SignatureDoesNotMatch", lambda: bad.list_buckets())


def cleanup(p, s3, bucket):
    def delete_all():
        n = 0
        for pg in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objs = [{"Key": o["Key"]} for o in pg.get("Contents", [])]
            if objs:
                r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
                if r.get("Errors"):
                    raise AssertionError(r["Errors"])
                n += len(objs)
        return n

    n = check(p + "delete_objects everything, 1,000 at a time", delete_all)
    expect(p + "deleted every key", True, bool(n and n > 1200))
    check(p + "delete_bucket", lambda: s3.delete_bucket(Bucket=bucket))
    expect_error(p + "bucket is gone", "NoSuchBucket", lambda: s3.list_objects_v2(Bucket=bucket))


def main():
    servers = []
    try:
        endpoint = os.environ.get("KURA_ENDPOINT")
        binary = None if endpoint else kura_binary()
        for tag, flags in (("http", ()), ("https", ("--tls-self-signed",))):
            if endpoint:
                url = endpoint if tag == "http" else os.environ.get("KURA_ENDPOINT_HTTPS")
                if not url:
                    print("== boto3 over HTTPS: NOT RUN (against KURA_ENDPOINT it needs KURA_ENDPOINT_HTTPS and KURA_ENDPOINT_CA)", flush=True)
                    continue
                srv = Endpoint(url, os.environ.get("KURA_ENDPOINT_CA") if tag == "https" else None)
            else:
                srv = Server(binary, "data-" + tag, *flags)
            servers.append(srv)
            print(f"== boto3 over {tag.upper()} at {srv.url}", flush=True)
            suite(client_for(srv, tag == "https"), srv, tag == "https", tag)
    finally:
        for srv in servers:
            srv.stop()
        if os.environ.get("KEEP_WORK"):
            print("kept " + WORK)
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    if SKIPPED:
        print(f"({SKIPPED} checks skipped: botocore {botocore.__version__} is older than 1.36)", flush=True)
    print(f"{PASSED} passed, {FAILED} failed", flush=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
