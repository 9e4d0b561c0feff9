-- Appends messages to a web visitor's log that answer no input of theirs
-- (a staff answer relayed from Telegram) and tells every replica's open
-- pages.
--
-- KEYS: 1 state, 2 log, 3 queue
-- ARGV: 1 log entries kept, 2 idle ttl-ms, 3 visitor number,
--       4 notify channel, 5.. payloads
-- Returns the messages' seqs.
local seqs = {}
for i = 5, #ARGV do
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('ZADD', KEYS[2], seq, seq .. '|' .. ARGV[i])
  seqs[#seqs + 1] = seq
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[1]) + 1))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
redis.call('PUBLISH', ARGV[4], ARGV[3])
return seqs
