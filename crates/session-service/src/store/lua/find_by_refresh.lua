-- The live session whose current refresh token has this hash. KEYS: the user's sessions hash.
-- ARGV: sid, refresh hash, now. Returns {info, times} or nil.
local s = redis.call('HMGET', KEYS[1], ARGV[1], ARGV[1] .. ':t', ARGV[1] .. ':r')
if not s[1] or not s[2] or s[3] ~= ARGV[2] then return false end
if tonumber(string.match(s[2], '^%d+ (%d+)')) <= tonumber(ARGV[3]) then return false end
return {s[1], s[2]}
