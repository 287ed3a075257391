-- The live session whose current refresh token is KEYS[1]. ARGV: key prefix, now. Nine fields or nil.
local t = redis.call('HMGET', KEYS[1], 'sid', 'state')
if not t[1] or t[2] ~= 'current' then return false end
local s = redis.call('HMGET', ARGV[1] .. 's:' .. t[1], 'user_id', 'username', 'amr', 'created_at', 'expires_at',
  'last_seen_at', 'user_agent', 'ip')
if not s[1] or tonumber(s[5]) <= tonumber(ARGV[2]) then return false end
return {t[1], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]}
