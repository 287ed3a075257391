-- The user's live sessions, flattened: sid, info (JSON), times per session; ended ones are pruned.
-- Walks the user's index, which the cap bounds. KEYS: the user's sessions hash, the user's index.
-- ARGV: now.
local h, idx, now = KEYS[1], KEYS[2], tonumber(ARGV[1])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  local s = redis.call('HMGET', h, id, id .. ':t')
  if s[1] and s[2] and tonumber(string.match(s[2], '^%d+ (%d+)')) > now then
    table.insert(out, id)
    table.insert(out, s[1])
    table.insert(out, s[2])
  else
    redis.call('HDEL', h, id, id .. ':t', id .. ':r', id .. ':g', id .. ':f')
    redis.call('ZREM', idx, id)
  end
end
return out
