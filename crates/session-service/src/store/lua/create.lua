-- Opens a session in its user's hash and index. At the cap, the user's ended sessions are pruned first,
-- then the least recently used ones are ended until the new one fits: the user never holds more than
-- the cap, however many opens race (the script is atomic), and the walk is bounded by the cap.
-- KEYS: the user's sessions hash, the user's index. ARGV: sid, session info (JSON), now, expires_at,
-- refresh hash, max sessions. Returns the ids of the live sessions ended to make room: their rotated-hash
-- lists are not in KEYS, so the store deletes them next (an ended session's list expires with it anyway).
local h, idx = KEYS[1], KEYS[2]
local sid, now, expires_at, max = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local function drop(id)
  redis.call('HDEL', h, id, id .. ':t', id .. ':r', id .. ':g', id .. ':f')
  redis.call('ZREM', idx, id)
end
local ended = {}
-- The least-recently-used order is Redis's own clock in microseconds (one node holds the user's keys), so
-- uses within one second keep their order; a string, since Lua would print the number with 14 digits.
local clock = redis.call('TIME')
local used = clock[1] .. string.format('%06d', tonumber(clock[2]))
if redis.call('ZCARD', idx) >= max then
  for _, id in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
    local times = redis.call('HGET', h, id .. ':t')
    if not times or tonumber(string.match(times, '^%d+ (%d+)')) <= now then drop(id) end
  end
  local over = redis.call('ZCARD', idx) - max + 1
  if over > 0 then
    for _, id in ipairs(redis.call('ZRANGE', idx, 0, over - 1)) do
      drop(id)
      table.insert(ended, id)
    end
  end
end
redis.call('HSET', h, sid, ARGV[2], sid .. ':t', ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[3], sid .. ':r', ARGV[5])
redis.call('ZADD', idx, used, sid)
-- Both keys live as long as the user's longest session: extended, never shortened.
for _, key in ipairs({h, idx}) do
  local ttl = redis.call('TTL', key)
  if ttl < 0 or now + ttl < expires_at then redis.call('EXPIREAT', key, expires_at) end
end
return ended
