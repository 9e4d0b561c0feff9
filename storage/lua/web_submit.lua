-- Stores a web visitor's input (a question or a button press) durably,
-- once per client message id, subject to flood limits: it is appended to
-- the visitor's log (what the page shows) and queue (what is still to be
-- handled), and the visitor is marked pending so that some replica
-- handles it even if the request that stored it dies.
--
-- KEYS: 1 state, 2 log, 3 queue, 4 client-id mark, 5 pending, 6 visitor
--       rate counter, 7 ip rate counter
-- ARGV: 1 log payload, 2 queue payload, 3 now-ms, 4 mark ttl-ms,
--       5 visitor limit, 6 ip limit, 7 window-ms, 8 log entries kept,
--       9 idle ttl-ms, 10 visitor number
-- Returns {seq, 0 stored | 1 already stored | 2 visitor flood | 3 ip flood}.
local prev = redis.call('GET', KEYS[4])
if prev then return {tonumber(prev), 1} end
local function over(key, limit)
  if tonumber(limit) <= 0 then return false end
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[7]) end
  return n > tonumber(limit)
end
if over(KEYS[6], ARGV[5]) then return {0, 2} end
if over(KEYS[7], ARGV[6]) then return {0, 3} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[2], seq, seq .. '|' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[8]) + 1))
redis.call('RPUSH', KEYS[3], seq .. '|' .. ARGV[2])
redis.call('SET', KEYS[4], seq, 'PX', ARGV[4])
redis.call('ZADD', KEYS[5], 'NX', ARGV[3], ARGV[10])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[9]) end
return {seq, 0}
