"""The Redis channel layer's settings keep idle websockets alive."""

from __future__ import annotations

import json

from channels_redis.core import RedisChannelLayer

from tests.eraha.test_settings import run_settings

CODE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.CHANNEL_LAYERS['default']['CONFIG']['hosts']))"
)


def test_the_redis_layer_reads_longer_than_its_blocking_receive():
    result = run_settings({"REDIS_URL": "redis://127.0.0.1:6379/0"}, CODE)
    assert result.returncode == 0, result.stderr
    [host] = json.loads(result.stdout.strip().splitlines()[-1])
    assert host["address"] == "redis://127.0.0.1:6379/0"
    # redis-py 8 would otherwise time the read out at 5 s, exactly when BZPOPMIN returns.
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout + 1
    assert host["socket_connect_timeout"] <= 2
