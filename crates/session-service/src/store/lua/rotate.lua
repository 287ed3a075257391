-- Rotates a refresh token atomically, or detects its reuse.
-- KEYS: presented token, successor token. ARGV: key prefix, now, ttl, grace seconds, successor hash,
-- sealed successor ('' without a grace window), presented hash.
-- Returns {'rotated', record...}, {'grace', record..., sealed}, {'unknown'} or {'reused'}; a record is
-- sid, user_id, username, amr, created_at, expires_at, last_seen_at, user_agent, ip.
local prefix, now, ttl, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local token = redis.call('HMGET', KEYS[1], 'sid', 'state', 'successor', 'sealed', 'rotated_at')
local sid = token[1]
if not sid then return {'unknown'} end
local skey = prefix .. 's:' .. sid
local s = redis.call('HMGET', skey, 'user_id', 'username', 'amr', 'created_at', 'expires_at', 'last_seen_at',
  'user_agent', 'ip', 'refresh')
if not s[1] then return {'unknown'} end
local ukey = prefix .. 'u:' .. s[1]
if token[2] == 'current' and s[9] == ARGV[7] then
  local expires_at = tostring(now + ttl)
  redis.call('HSET', skey, 'refresh', ARGV[5], 'expires_at', expires_at, 'last_seen_at', ARGV[2])
  redis.call('EXPIREAT', skey, expires_at)
  redis.call('HSET', KEYS[1], 'state', 'rotated', 'successor', ARGV[5], 'sealed', ARGV[6], 'rotated_at', ARGV[2])
  redis.call('EXPIREAT', KEYS[1], expires_at)
  redis.call('HSET', KEYS[2], 'sid', sid, 'state', 'current')
  redis.call('EXPIREAT', KEYS[2], expires_at)
  redis.call('ZADD', ukey, expires_at, sid)
  local last = redis.call('ZRANGE', ukey, -1, -1, 'WITHSCORES')
  redis.call('EXPIREAT', ukey, last[2])
  return {'rotated', sid, s[1], s[2], s[3], s[4], expires_at, ARGV[2], s[7], s[8]}
end
if token[2] == 'rotated' and grace > 0 and token[4] and token[4] ~= '' and token[5]
    and now - tonumber(token[5]) <= grace and s[9] == token[3] then
  return {'grace', sid, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], token[4]}
end
-- A rotated token presented again (or a current one that no longer matches): end the whole session.
redis.call('DEL', skey, prefix .. 'r:' .. s[9])
redis.call('ZREM', ukey, sid)
return {'reused'}
