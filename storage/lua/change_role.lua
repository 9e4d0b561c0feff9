-- Sets a user's role on behalf of an admin, atomically with every rule
-- that decides whether the change may be made (storage.ChangeRole):
-- the actor must be an admin at this moment, an admin cannot lower their
-- own role, and the last admin cannot lose the role.
--
-- KEYS[1] actor's account hash   KEYS[2] target's account hash
-- KEYS[3] member set             KEYS[4] admin set
-- ARGV[1] actor id  ARGV[2] target id  ARGV[3] new role (resident, member, admin)
-- ARGV[4] branch    ARGV[5] '1' to keep the target's branch  ARGV[6] time (ms)
--
-- Returns {refusal} or {'ok', prev role, prev branch, prev by, prev at, branch}.
if redis.call('HGET', KEYS[1], 'role') ~= 'admin' then
  return {'not_admin'}
end
local prev = redis.call('HMGET', KEYS[2], 'role', 'branch', 'by', 'at')
local prole = prev[1]
if prole ~= 'member' and prole ~= 'admin' then prole = 'resident' end
local role = ARGV[3]
if prole == 'admin' and role ~= 'admin' then
  if ARGV[1] == ARGV[2] then return {'self'} end
  if redis.call('SCARD', KEYS[4]) <= 1 then return {'last_admin'} end
end
if role == 'resident' and prole == 'resident' then
  return {'no_role'}
end
local branch = ARGV[4]
if ARGV[5] == '1' then branch = prev[2] or '' end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('SREM', KEYS[4], ARGV[2])
if role == 'member' or role == 'admin' then
  redis.call('HSET', KEYS[2], 'role', role, 'branch', branch, 'by', ARGV[1], 'at', ARGV[6])
  if role == 'admin' then
    redis.call('SADD', KEYS[4], ARGV[2])
  else
    redis.call('SADD', KEYS[3], ARGV[2])
  end
end
return {'ok', prole, prev[2] or '', prev[3] or '', prev[4] or '', branch}
