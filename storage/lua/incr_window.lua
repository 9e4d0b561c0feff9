-- Counts in a window that starts with the first count (storage.AddJoinFailure).
-- KEYS[1] counter; ARGV[1] window (ms).
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
