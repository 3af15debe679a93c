"""Independent checks of stack's auth server over HTTP (urllib, joserfc, PyJWT).

Usage: auth_http_check.py <command> [args...]; prints the result on stdout, exits 1 with a message on failure.
"""
import json
import sys
import urllib.request


def fetch_jwks(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def verify_jwks_url(jwks_url, token, origin):
    # Both libraries fetch nothing themselves: the JWKS comes from GET /api/auth/jwks, as PowerSync does it.
    import jwt as pyjwt
    from joserfc import jwt
    from joserfc.jwk import KeySet
    jwks = fetch_jwks(jwks_url)
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": origin}, aud={"essential": True, "value": origin},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True}).validate(decoded.claims)
    header = pyjwt.get_unverified_header(token)
    keys = {k["kid"]: pyjwt.PyJWK(k) for k in jwks["keys"]}
    claims = pyjwt.decode(token, keys[header["kid"]], algorithms=["RS256"], audience=origin, issuer=origin,
                          options={"require": ["exp", "iat", "sub", "iss", "aud"]})
    if claims != decoded.claims:
        raise SystemExit("joserfc and PyJWT disagree")
    return json.dumps({"header": header, "claims": claims, "kids": [k["kid"] for k in jwks["keys"]]})


COMMANDS = {"verify-jwks-url": verify_jwks_url}

if __name__ == "__main__":
    try:
        print(COMMANDS[sys.argv[1]](*sys.argv[2:]), end="")
    except Exception as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
