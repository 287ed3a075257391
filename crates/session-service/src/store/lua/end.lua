-- Ends one session of the user. KEYS: the user's sessions hash, the user's index, the session's
-- rotated-hash list. ARGV: sid, now. Returns 1 if it was live, else 0.
local times = redis.call('HGET', KEYS[1], ARGV[1] .. ':t')
if not times then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':t', ARGV[1] .. ':r', ARGV[1] .. ':g', ARGV[1] .. ':f')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
if tonumber(string.match(times, '^%d+ (%d+)')) > tonumber(ARGV[2]) then return 1 end
return 0
