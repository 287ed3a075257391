-- Ends one session if it belongs to the user. KEYS: session, user index. ARGV: key prefix, user_id, sid.
local s = redis.call('HMGET', KEYS[1], 'user_id', 'refresh')
if not s[1] or s[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1], ARGV[1] .. 'r:' .. s[2])
redis.call('ZREM', KEYS[2], ARGV[3])
return 1
