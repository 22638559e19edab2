"""A Redis lease (SET NX PX, renewed) so that only one AMI consumer does the work.

The holder renews the lease every third of its time to live; renewing and releasing only
touch the key while it still holds our token (a Lua check), so a consumer that lost the
lease can never extend or delete the next holder's.

Example::

    lock = RedisLease(redis, "hotline:ami:consumer", ttl_ms=10_000)
    if await lock.acquire():
        ...
        if await lock.renew() is False:   # someone else holds it now: stop working
            ...
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    """One named lease in Redis, held with a random token."""

    def __init__(self, redis: Redis, key: str, ttl_ms: int = 10_000) -> None:
        if ttl_ms < 300:
            raise ValueError("ttl_ms must be at least 300")
        self.redis = redis
        self.key = key
        self.ttl_ms = ttl_ms
        self.token = secrets.token_hex(16)

    @property
    def renew_every(self) -> float:
        """Seconds between renewals."""
        return self.ttl_ms / 3000

    async def acquire(self) -> bool:
        """Take the lease if it is free (or already ours); True when we hold it."""
        if await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return True
        return await self.renew()

    async def renew(self) -> bool:
        """Extend our lease; False when it is not ours (expired, or another holder)."""
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))

    async def release(self) -> bool:
        """Give the lease up if we hold it."""
        return bool(await self.redis.eval(_RELEASE, 1, self.key, self.token))

    async def holder(self) -> str | None:
        raw = await self.redis.get(self.key)
        return raw.decode() if isinstance(raw, bytes) else raw
