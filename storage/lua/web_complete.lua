-- Finishes the input at the head of a web visitor's queue: only while the
-- caller holds the visitor's lock and the head is still that input, so an
-- input is answered once even if two replicas race for it. The answers are
-- appended to the log; when nothing is left to handle, the visitor leaves
-- the pending set and the lock is released (an input stored later is
-- handled by the request that stored it).
--
-- KEYS: 1 state, 2 log, 3 queue, 4 lock, 5 pending
-- ARGV: 1 lock token, 2 input seq, 3 log entries kept, 4 idle ttl-ms,
--       5 visitor number, 6 notify channel, 7.. answer payloads
-- Returns {inputs left, the answers' seqs...}, or -1 when the caller no
-- longer owns the input.
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return -1 end
local head = redis.call('LINDEX', KEYS[3], 0)
if not head or string.sub(head, 1, #ARGV[2] + 1) ~= ARGV[2] .. '|' then return -1 end
redis.call('LPOP', KEYS[3])
local seqs = {0}
for i = 7, #ARGV do
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('ZADD', KEYS[2], seq, seq .. '|' .. ARGV[i])
  seqs[#seqs + 1] = seq
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
local left = redis.call('LLEN', KEYS[3])
seqs[1] = left
if left == 0 then
  redis.call('ZREM', KEYS[5], ARGV[5])
  redis.call('DEL', KEYS[4])
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
if #seqs > 1 then redis.call('PUBLISH', ARGV[6], ARGV[5]) end
return seqs
