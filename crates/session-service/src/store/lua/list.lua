-- The user's live sessions, flattened: nine fields per session (see rotate.lua), pruning dead index entries.
-- KEYS: user index. ARGV: key prefix, now.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local out = {}
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = redis.call('HMGET', ARGV[1] .. 's:' .. sid, 'user_id', 'username', 'amr', 'created_at', 'expires_at',
    'last_seen_at', 'user_agent', 'ip')
  if s[1] then
    for _, value in ipairs({sid, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]}) do table.insert(out, value) end
  else
    redis.call('ZREM', KEYS[1], sid)
  end
end
return out
