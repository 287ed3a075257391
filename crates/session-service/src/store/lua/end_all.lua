-- Ends every session of a user by deleting the user's two keys; walks the index (bounded by the cap) only
-- to count. KEYS: the user's sessions hash, the user's index. ARGV: now. Returns how many were live.
local ended = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local times = redis.call('HGET', KEYS[1], id .. ':t')
  if times and tonumber(string.match(times, '^%d+ (%d+)')) > tonumber(ARGV[1]) then ended = ended + 1 end
end
redis.call('DEL', KEYS[1], KEYS[2])
return ended
