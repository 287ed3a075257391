-- Rotates a refresh token atomically, or detects its reuse.
-- KEYS: the user's sessions hash, the user's index, the session's rotated-hash list. ARGV: sid, presented
-- hash, successor hash, sealed successor ('' without a grace window), now, ttl, max lifetime, grace
-- seconds, rotated hashes kept.
-- Returns {'rotated', info, times}, {'grace', info, times, sealed}, {'unknown'} or {'reused'}, where
-- info is the session's JSON and times is 'created_at expires_at last_seen_at'.
local h, idx, rotated = KEYS[1], KEYS[2], KEYS[3]
local sid, presented = ARGV[1], ARGV[2]
local now, ttl, lifetime = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local grace, kept = tonumber(ARGV[8]), tonumber(ARGV[9])
local function drop()
  redis.call('HDEL', h, sid, sid .. ':t', sid .. ':r', sid .. ':g', sid .. ':f')
  redis.call('ZREM', idx, sid)
  redis.call('DEL', rotated)
end
local s = redis.call('HMGET', h, sid, sid .. ':t', sid .. ':r', sid .. ':g')
if not s[2] then return {'unknown'} end
local created, expires = string.match(s[2], '^(%d+) (%d+)')
if tonumber(expires) <= now then return {'unknown'} end
if s[3] == presented then
  -- Sliding, but never past the session's maximum lifetime.
  local ends = math.min(now + ttl, tonumber(created) + lifetime)
  if ends <= now then
    drop()
    return {'unknown'}
  end
  local times = created .. ' ' .. string.format('%d', ends) .. ' ' .. ARGV[5]
  redis.call('HSET', h, sid .. ':t', times, sid .. ':r', ARGV[3])
  if grace > 0 and ARGV[4] ~= '' then
    redis.call('HSET', h, sid .. ':g', presented .. ' ' .. ARGV[5] .. ' ' .. ARGV[4])
  elseif s[4] then
    redis.call('HDEL', h, sid .. ':g')
  end
  -- Newest first, capped: a push and a trim, whatever the session's age (rewriting one field holding
  -- them all cost Redis 26 us per rotation under `make bench`).
  redis.call('LPUSH', rotated, presented)
  redis.call('LTRIM', rotated, 0, kept - 1)
  redis.call('EXPIREAT', rotated, ends)
  local clock = redis.call('TIME')
  redis.call('ZADD', idx, clock[1] .. string.format('%06d', tonumber(clock[2])), sid)
  for _, key in ipairs({h, idx}) do
    local left = redis.call('TTL', key)
    if left < 0 or now + left < ends then redis.call('EXPIREAT', key, ends) end
  end
  return {'rotated', s[1], times}
end
if s[4] and grace > 0 then
  local previous, at, sealed = string.match(s[4], '^(%S+) (%d+) (%S+)$')
  if previous == presented and now - tonumber(at) <= grace then return {'grace', s[1], s[2], sealed} end
end
-- A rotated token presented again: treated as theft, the whole session ends. A hash this session never
-- had is only unknown, so that nobody can end a session by guessing its ids. The `:f` field holds the
-- hashes of releases before the list, until their sessions end.
local known = redis.call('LPOS', rotated, presented)
if not known then
  local legacy = redis.call('HGET', h, sid .. ':f') or ''
  for i = 1, #legacy, 43 do
    if string.sub(legacy, i, i + 42) == presented then known = true end
  end
end
if known then
  drop()
  return {'reused'}
end
return {'unknown'}
