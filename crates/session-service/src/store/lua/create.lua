-- Opens a session and its first refresh token, and indexes it under its user.
-- KEYS: session, user index, refresh token. ARGV: sid, user_id, username, amr, now, expires_at,
-- user_agent, ip, refresh hash.
redis.call('HSET', KEYS[1], 'user_id', ARGV[2], 'username', ARGV[3], 'amr', ARGV[4], 'created_at', ARGV[5],
  'expires_at', ARGV[6], 'last_seen_at', ARGV[5], 'user_agent', ARGV[7], 'ip', ARGV[8], 'refresh', ARGV[9])
redis.call('EXPIREAT', KEYS[1], ARGV[6])
redis.call('HSET', KEYS[3], 'sid', ARGV[1], 'state', 'current')
redis.call('EXPIREAT', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[2], last[2])
return 1
