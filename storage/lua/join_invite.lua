-- Redeems an invite code (storage.JoinWithInvite): checks the code and the
-- user and makes the user a member of the code's branch in one step, so a
-- code grants at most once, to one user, ever.
--
-- KEYS[1] invite hash         KEYS[2] user's account hash
-- KEYS[3] member set          KEYS[4] admin set
-- KEYS[5] the account hash of the admin who made the code
-- ARGV[1] user id  ARGV[2] time (ms)  ARGV[3] the code's creator as read before
--
-- Returns {refusal} or {'ok', prev role, prev branch, prev by, prev at}.
local inv = redis.call('HMGET', KEYS[1], 'branch', 'by', 'exp', 'used_by')
if not inv[1] or inv[2] ~= ARGV[3] then
  return {'unknown_code'}
end
local prev = redis.call('HMGET', KEYS[2], 'role', 'branch', 'by', 'at')
local prole = prev[1]
if prole ~= 'member' and prole ~= 'admin' then prole = 'resident' end
local same = prole == 'member' and prev[2] == inv[1]
if inv[4] then
  -- Used is used, also for its user: a revoked member or one an admin has
  -- moved since cannot turn it into a role again. One who is still what it
  -- made them is only told so.
  if inv[4] == ARGV[1] and same then return {'same_branch'} end
  return {'used_code'}
end
if tonumber(ARGV[2]) >= tonumber(inv[3]) then
  return {'expired_code'}
end
if prole == 'admin' then return {'is_admin'} end
if same then return {'same_branch'} end
if redis.call('HGET', KEYS[5], 'role') ~= 'admin' then
  return {'void_code'}
end
redis.call('HSET', KEYS[1], 'used_by', ARGV[1], 'used_at', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[2], 'role', 'member', 'branch', inv[1], 'by', inv[2], 'at', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return {'ok', prole, prev[2] or '', prev[3] or '', prev[4] or ''}
