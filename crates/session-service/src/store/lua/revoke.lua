-- Refuses an access token until it would have expired. KEYS: the revoked jti. ARGV: until (Unix seconds).
redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
return 1
