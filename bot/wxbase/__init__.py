"""What the WeChat (Service Account) and WeCom channels share.

* `tokens`   — the platform access token kept in the database, so every bot process uses
  one token and only one of them refreshes it at a time;
* `api`      — an async client on aiohttp with a configurable base URL (a stand-in in
  tests) and the platforms' error codes turned into the outbox's exceptions;
* `callback` — an aiohttp callback endpoint: URL verification, signature and timestamp
  checks, decryption through wechatpy's crypto, de-duplication of the platform's
  retries, an immediate answer, and the `Inbound` handed to the desk in order per sender.

Each platform plugs in its own crypto (wechatpy.crypto vs wechatpy.work.crypto), its own
ids and its own translation of a message into an `Inbound`.
"""
