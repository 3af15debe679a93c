"""Independent implementations the Swift tests check StackAuth against (hashlib, PyNaCl, hmac, joserfc, PyJWT).

Usage: crosscheck.py <command> [args...]; prints the result on stdout, exits 1 with a message on failure.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import unicodedata


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def scrypt_key(password: str, salt_hex: str) -> str:
    # BetterAuth: NFKC password; the salt is the hex *text* as UTF-8; N=16384 r=16 p=1, 64 bytes.
    return hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode(), salt=salt_hex.encode(),
        n=16384, r=16, p=1, dklen=64, maxmem=128 * 16384 * 16 * 2).hex()


def scrypt_hash(password):
    salt = os.urandom(16).hex()
    return f"{salt}:{scrypt_key(password, salt)}"


def scrypt_verify(stored, password):
    salt, key = stored.split(":")[:2]
    return "true" if hmac.compare_digest(scrypt_key(password, salt), key) else "false"


def xchacha_encrypt(secret, plaintext):
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt
    key = hashlib.sha256(secret.encode()).digest()
    nonce = os.urandom(24)
    return (nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext.encode(), None, nonce, key)).hex()


def xchacha_decrypt(secret, hex_text):
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
    key = hashlib.sha256(secret.encode()).digest()
    data = bytes.fromhex(hex_text)
    return crypto_aead_xchacha20poly1305_ietf_decrypt(data[24:], None, data[:24], key).decode()


def cookie_signature(secret, token):
    return base64.b64encode(hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()).decode()


def rsa_numbers(pem):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    numbers = load_pem_private_key(pem.encode(), password=None).private_numbers()
    pub = numbers.public_numbers
    return json.dumps({
        "kty": "RSA", "n": b64url_int(pub.n), "e": b64url_int(pub.e), "d": b64url_int(numbers.d),
        "p": b64url_int(numbers.p), "q": b64url_int(numbers.q), "dp": b64url_int(numbers.dmp1),
        "dq": b64url_int(numbers.dmq1), "qi": b64url_int(numbers.iqmp)})


def rsa_generate_jwk():
    # What jose's exportJWK gives BetterAuth for a 2048-bit RS256 key.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return rsa_numbers(pem)


def jwt_verify_joserfc(jwks_json, token, origin, kid):
    from joserfc import jwt
    from joserfc.jwk import KeySet
    keys = KeySet.import_key_set(json.loads(jwks_json))
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    if decoded.header.get("kid") != kid or decoded.header.get("alg") != "RS256":
        raise SystemExit(f"bad header {decoded.header}")
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": origin}, aud={"essential": True, "value": origin},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True}).validate(decoded.claims)
    return json.dumps({"header": decoded.header, "claims": decoded.claims})


def jwt_verify_pyjwt(jwks_json, token, origin):
    import jwt
    header = jwt.get_unverified_header(token)
    keys = {k["kid"]: jwt.PyJWK(k) for k in json.loads(jwks_json)["keys"]}
    claims = jwt.decode(token, keys[header["kid"]], algorithms=["RS256"], audience=origin, issuer=origin,
                        options={"require": ["exp", "iat", "sub", "iss", "aud"]})
    return json.dumps(claims)


def jwt_verify_with_jwk(public_jwk_json, token, origin):
    import jwt
    claims = jwt.decode(token, jwt.PyJWK(json.loads(public_jwk_json), algorithm="RS256"), algorithms=["RS256"],
                        audience=origin, issuer=origin)
    return json.dumps(claims)


COMMANDS = {
    "scrypt-hash": scrypt_hash, "scrypt-verify": scrypt_verify, "xchacha-encrypt": xchacha_encrypt,
    "xchacha-decrypt": xchacha_decrypt, "cookie-signature": cookie_signature, "rsa-numbers": rsa_numbers,
    "rsa-generate-jwk": rsa_generate_jwk, "jwt-verify-joserfc": jwt_verify_joserfc,
    "jwt-verify-pyjwt": jwt_verify_pyjwt, "jwt-verify-with-jwk": jwt_verify_with_jwk,
}

if __name__ == "__main__":
    try:
        print(COMMANDS[sys.argv[1]](*sys.argv[2:]), end="")
    except Exception as error:  # the Swift side shows this message in the failing expectation
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
