# Independent implementation of docs/formats.md, for known-answer tests.
import hashlib, struct
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
C = 65536
def plain_byte(i): return (i*31 ^ i>>9 ^ i>>17) & 0xff
def blob(plain, dek, salt):
    hdr = b"KURB" + bytes([1, 16]) + salt
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"kura blob v1").derive(dek)
    g = AESGCM(key)
    chunks = [plain[i:i+C] for i in range(0, len(plain), C)] or [b""]
    out = hdr
    for i, c in enumerate(chunks):
        nonce = struct.pack(">QI", i, 1 if i == len(chunks)-1 else 0)
        out += g.encrypt(nonce, c, hdr)
    return out
dek = bytes(range(32)); salt = bytes(range(100, 132))
for n in (0, 5, C, 2*C+5):
    p = bytes(plain_byte(i) for i in range(n))
    b = blob(p, dek, salt)
    print(n, len(b), hashlib.sha256(b).hexdigest())
# sealed key: version 1 | idlen | id | nonce | ct+tag ; aad = prefix || aad
kek = bytes(range(200, 232)); nonce = bytes(range(12)); idb = b"sse-s3-1"
prefix = bytes([1, len(idb)]) + idb
sealed = prefix + nonce + AESGCM(kek).encrypt(nonce, dek, prefix + b"purpose")
print("sealed", sealed.hex())
