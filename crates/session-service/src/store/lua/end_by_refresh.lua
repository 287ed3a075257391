-- Ends the session of a refresh token, current or rotated. KEYS: refresh token. ARGV: key prefix.
local sid = redis.call('HGET', KEYS[1], 'sid')
if not sid then return 0 end
redis.call('DEL', KEYS[1])
local skey = ARGV[1] .. 's:' .. sid
local s = redis.call('HMGET', skey, 'user_id', 'refresh')
if not s[1] then return 0 end
redis.call('DEL', skey, ARGV[1] .. 'r:' .. s[2])
redis.call('ZREM', ARGV[1] .. 'u:' .. s[1], sid)
return 1
