"""Signature checks and safe-mode decryption for the Service Account callback (wechatpy).

Plain mode: `signature` = sha1 of the sorted token, timestamp and nonce.  Safe mode
(`encrypt_type=aes`): the body carries `Encrypt`, checked against `msg_signature` and
decrypted with the EncodingAESKey (AES-256-CBC) by `wechatpy.crypto.WeChatCrypto`, which
also checks that the message was meant for our app id.  With an AES key configured a
plain message is refused: nobody may downgrade us to plain mode.
"""

from __future__ import annotations

from collections.abc import Mapping

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.wxbase.callback import Refused


class WechatOpener:
    def __init__(self, token: str, app_id: str, aes_key: str | None) -> None:
        self._token = token
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def _signed(self, query: Mapping[str, str]) -> None:
        try:
            check_signature(self._token, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        except InvalidSignatureException:
            raise Refused("bad signature") from None

    def verify(self, query: Mapping[str, str]) -> str:
        """The URL check (GET): plain signature in both modes; answer the echostr."""
        self._signed(query)
        echo = query.get("echostr", "")
        if not echo:
            raise Refused("no echostr")
        return echo

    def open(self, query: Mapping[str, str], body: bytes) -> str:
        if self._crypto is None:
            self._signed(query)
            return body.decode("utf-8")
        if query.get("encrypt_type") != "aes":
            raise Refused("plain message while safe mode is configured")
        self._signed(query)
        try:
            return self._crypto.decrypt_message(body.decode("utf-8"), query.get("msg_signature", ""),
                                                query.get("timestamp", ""), query.get("nonce", ""))
        except (InvalidSignatureException, InvalidAppIdException):
            raise Refused("bad msg_signature or app id") from None
        except UnicodeDecodeError:
            raise ValueError("body is not UTF-8") from None
        except Exception as exc:  # a broken ciphertext (padding, base64) or XML around it
            raise ValueError(f"cannot decrypt ({exc.__class__.__name__})") from None
