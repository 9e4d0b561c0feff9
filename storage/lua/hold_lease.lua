-- Takes a lease nobody holds, or renews one the owner holds.
-- KEYS[1]: the lease; ARGV[1]: the owner; ARGV[2]: ttl in ms
-- Returns 1 when the owner holds the lease now, else 0.
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
