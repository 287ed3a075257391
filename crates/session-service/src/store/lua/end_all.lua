-- Ends every session of a user. KEYS: user index. ARGV: key prefix. Returns how many were live.
local ended = 0
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local skey = ARGV[1] .. 's:' .. sid
  local refresh = redis.call('HGET', skey, 'refresh')
  if refresh then
    redis.call('DEL', skey, ARGV[1] .. 'r:' .. refresh)
    ended = ended + 1
  end
end
redis.call('DEL', KEYS[1])
return ended
