"""AWS Signature Version 4 for Bedrock requests, through botocore (imported only when a request is signed)."""

from __future__ import annotations

from codetether.errors import CodetetherError
from codetether.provider.model import CompletionRequest

SERVICE = "bedrock"


def sign(method: str, url: str, headers: dict[str, str], body: bytes, access_key: str, secret_key: str,
         session_token: str | None, region: str, service: str = SERVICE) -> dict[str, str]:
    """The headers plus Authorization, X-Amz-Date (and X-Amz-Security-Token with a session token)."""
    try:
        from botocore.auth import SigV4Auth as _Signer
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        raise CodetetherError("Bedrock with AWS access keys needs the botocore package",
                              "Install it (pip install botocore), or store a Bedrock API key as api_key.") from None
    # Only the headers we send are signed; httpx's own (user-agent, accept-encoding) stay outside the signature.
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    _Signer(Credentials(access_key, secret_key, session_token), service, region).add_auth(req)
    return dict(req.headers.items())


class SigV4Auth:
    """Signs every attempt afresh, since a signature carries its timestamp."""

    credential_name = "the AWS credentials"

    def __init__(self, access_key: str, secret_key: str, session_token: str | None, region: str):
        self.access_key, self.secret_key, self.session_token = access_key, secret_key, session_token
        self.region = region

    async def prepare(self, url: str, body: bytes, headers: dict[str, str],
                      request: CompletionRequest) -> tuple[str, dict[str, str]]:
        return url, sign("POST", url, headers, body, self.access_key, self.secret_key, self.session_token,
                         self.region)

    async def aclose(self) -> None:
        pass
