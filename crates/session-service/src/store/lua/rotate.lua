-- Rotates a refresh token atomically, or detects its reuse.
-- KEYS: the user's sessions hash, the user's index. ARGV: sid, presented hash, successor hash, sealed
-- successor ('' without a grace window), now, ttl, max lifetime, grace seconds, rotated hashes kept.
-- Returns {'rotated', info, times}, {'grace', info, times, sealed}, {'unknown'} or {'reused'}, where
-- info is the session's JSON and times is 'created_at expires_at last_seen_at'.
local h, idx = KEYS[1], KEYS[2]
local sid, presented = ARGV[1], ARGV[2]
local now, ttl, lifetime = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local grace, kept = tonumber(ARGV[8]), tonumber(ARGV[9])
local function drop()
  redis.call('HDEL', h, sid, sid .. ':t', sid .. ':r', sid .. ':g', sid .. ':f')
  redis.call('ZREM', idx, sid)
end
local s = redis.call('HMGET', h, sid, sid .. ':t', sid .. ':r', sid .. ':g', sid .. ':f')
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
  local rotated = (s[5] or '') .. presented
  if #rotated > kept * 43 then rotated = string.sub(rotated, -kept * 43) end
  local times = created .. ' ' .. string.format('%d', ends) .. ' ' .. ARGV[5]
  redis.call('HSET', h, sid .. ':t', times, sid .. ':r', ARGV[3], sid .. ':f', rotated)
  if grace > 0 and ARGV[4] ~= '' then
    redis.call('HSET', h, sid .. ':g', presented .. ' ' .. ARGV[5] .. ' ' .. ARGV[4])
  else
    redis.call('HDEL', h, sid .. ':g')
  end
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
-- had is only unknown, so that nobody can end a session by guessing its ids.
local rotated = s[5] or ''
for i = 1, #rotated, 43 do
  if string.sub(rotated, i, i + 42) == presented then
    drop()
    return {'reused'}
  end
end
return {'unknown'}
