-- Creates a ticket (storage.Store.CreateTicket) in one call.
--
-- KEYS: 1 open tickets, 2 the user's tickets, 3 the posting queue, 4 the
--       new ticket (numbered by the caller), 5.. the user's recent tickets
--       as the caller knows them (newest first)
-- ARGV: 1 normalized question, 2 max open, 3 created (ms), 4 "1" to queue
--       for posting, 5 the new ticket's number, 6 how many recent tickets
--       the caller passed, 7.. their numbers, then the ticket's fields
-- Returns {no, code, extra}:
--   {no, 0}            created
--   {no, 1, fields}    the user's open ticket with the same question (its
--                      hash, flat), nothing created
--   {0, 2}             the user has max open tickets, nothing created
--   {0, 3, recent}     the caller's list of recent tickets is not the
--                      user's (another replica created one meanwhile):
--                      nothing created; here is the list to call again with
--
-- The number comes from the caller (blocks of the counter it reserved), so
-- every key the script touches is in KEYS, as the script contract asks
-- (ACL key patterns, Cluster slot checks), and no call has to be retried
-- because another user's ticket took the number.
local nrecent = tonumber(ARGV[6])
local recent = redis.call('ZREVRANGE', KEYS[2], 0, 19)
local same = #recent == nrecent
if same then
  for i, no in ipairs(recent) do
    if no ~= ARGV[6 + i] then same = false break end
  end
end
if not same then return {0, 3, recent} end
local open = 0
for i, rno in ipairs(recent) do
  local st = redis.call('HMGET', KEYS[4 + i], 'status', 'norm')
  if st[1] == 'open' then
    if ARGV[1] ~= '' and st[2] == ARGV[1] then
      return {tonumber(rno), 1, redis.call('HGETALL', KEYS[4 + i])}
    end
    open = open + 1
  end
end
if open >= tonumber(ARGV[2]) then return {0, 2} end
local no = ARGV[5]
redis.call('HSET', KEYS[4], 'no', no, 'status', 'open', unpack(ARGV, 7 + nrecent))
redis.call('ZADD', KEYS[1], ARGV[3], no)
redis.call('ZADD', KEYS[2], ARGV[3], no)
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], no) end
return {tonumber(no), 0}
