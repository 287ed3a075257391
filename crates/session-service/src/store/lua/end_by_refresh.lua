-- Ends the session of a refresh token, current or rotated. KEYS: the user's sessions hash, the user's
-- index, the session's rotated-hash list. ARGV: sid, refresh hash, now. Returns 1 if a live session
-- ended, else 0.
local h, sid, hash = KEYS[1], ARGV[1], ARGV[2]
local s = redis.call('HMGET', h, sid .. ':t', sid .. ':r', sid .. ':f')
if not s[1] then return 0 end
local known = s[2] == hash or redis.call('LPOS', KEYS[3], hash) ~= false
-- The `:f` field holds the rotated hashes of releases before the list, until their sessions end.
local legacy = s[3] or ''
for i = 1, #legacy, 43 do
  if string.sub(legacy, i, i + 42) == hash then known = true end
end
if not known then return 0 end
redis.call('HDEL', h, sid, sid .. ':t', sid .. ':r', sid .. ':g', sid .. ':f')
redis.call('ZREM', KEYS[2], sid)
redis.call('DEL', KEYS[3])
if tonumber(string.match(s[1], '^%d+ (%d+)')) > tonumber(ARGV[3]) then return 1 end
return 0
