-- Admits one message under the shared send limits (storage.SendGate.Admit).
--
-- KEYS: 1 global pause, 2 the chat's pause, 3 the global schedule (first
--       free slot, in microseconds), 4 the chat's schedule, 5 the group's
-- ARGV: 1 "1" for a broadcast message, "0" for a reply
--       2 global interval, 3 chat interval, 4 group interval (microseconds;
--       0: no such limit)
-- Returns {admitted (1/0), wait in microseconds}: admitted with the wait
-- until its slot, or not admitted with the wait before asking again.
--
-- A reply always reserves the next free global slot, however far ahead
-- (replies queue in order). A broadcast takes a slot only when at most one
-- interval is reserved ahead of now, so replies never queue behind more
-- than a slot or two of a fan-out; it also waits for the chat's and the
-- group's own limits, which replies do not take.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = math.max(redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2]))
if pause > 0 then
  return {0, pause * 1000}
end
local broadcast = ARGV[1] == '1'
local gi, ci, gri = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local function at(key)
  return tonumber(redis.call('GET', key) or '0')
end
local function set(key, v)
  redis.call('SET', key, string.format('%d', v), 'PX', math.floor((v - now) / 1000) + 1000)
end

if broadcast then
  local w = 0
  if ci > 0 then w = math.max(w, at(KEYS[4]) - now) end
  if gri > 0 then w = math.max(w, at(KEYS[5]) - now) end
  if w > 0 then
    return {0, w}
  end
end
local slot = now
if gi > 0 then
  slot = math.max(now, at(KEYS[3]))
  if broadcast and slot - now > gi then
    return {0, slot - now - gi}
  end
  set(KEYS[3], slot + gi)
end
if broadcast then
  if ci > 0 then set(KEYS[4], slot + ci) end
  if gri > 0 then set(KEYS[5], slot + gri) end
end
return {1, slot - now}
