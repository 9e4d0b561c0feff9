-- Withdraws an invite that nobody used (storage.DeleteInvite).
-- KEYS[1] invite hash. Returns 1 when deleted.
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'used_by') == 1 then return 0 end
return redis.call('DEL', KEYS[1])
