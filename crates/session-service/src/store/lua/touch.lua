-- The hot path: is the session alive, the user's, and the jti unrevoked? Records activity at most once a second.
-- KEYS: session, revoked jti. ARGV: user_id, now, record activity ('1' or '0').
-- Returns {created_at, expires_at, last_seen_at} or nil.
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local s = redis.call('HMGET', KEYS[1], 'user_id', 'created_at', 'expires_at', 'last_seen_at')
if not s[1] or s[1] ~= ARGV[1] then return false end
if tonumber(s[3]) <= tonumber(ARGV[2]) then return false end
local last = s[4]
if ARGV[3] == '1' and tonumber(last) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[2])
  last = ARGV[2]
end
return {s[2], s[3], last}
