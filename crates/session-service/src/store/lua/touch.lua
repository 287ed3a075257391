-- Records activity on the hot path, once the plain reads found it due: checks again that the session is
-- alive and the jti unrevoked (either may have changed since), then sets last_seen_at and the session's
-- place in the least-recently-used order. KEYS: the user's sessions hash, the revoked jti, the user's
-- index. ARGV: sid, now. Returns {created_at, expires_at, last_seen_at} or nil.
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local times = redis.call('HGET', KEYS[1], ARGV[1] .. ':t')
if not times then return false end
local created, expires, last = string.match(times, '^(%d+) (%d+) (%d+)$')
local now = tonumber(ARGV[2])
if tonumber(expires) <= now then return false end
if tonumber(last) < now then
  redis.call('HSET', KEYS[1], ARGV[1] .. ':t', created .. ' ' .. expires .. ' ' .. ARGV[2])
  local clock = redis.call('TIME')
  redis.call('ZADD', KEYS[3], 'XX', clock[1] .. string.format('%06d', tonumber(clock[2])), ARGV[1])
  last = ARGV[2]
end
return {created, expires, last}
