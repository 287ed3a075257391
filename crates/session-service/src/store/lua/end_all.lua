-- Ends every session of a user by deleting the user's two keys; walks the index (bounded by the cap) only
-- to name the live ones. KEYS: the user's sessions hash, the user's index. ARGV: now. Returns the ids of
-- the live sessions: their rotated-hash lists are not in KEYS, so the store deletes them next.
local ended = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local times = redis.call('HGET', KEYS[1], id .. ':t')
  if times and tonumber(string.match(times, '^%d+ (%d+)')) > tonumber(ARGV[1]) then table.insert(ended, id) end
end
redis.call('DEL', KEYS[1], KEYS[2])
return ended
