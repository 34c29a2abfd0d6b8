"""The Lua scripts of the Redis party backend (``lobby.parties_redis``), one per change.

Each script is ``PRELUDE`` (the keys, loading, saving, dropping lapsed members) followed
by its own body, and answers with one JSON object, ``out``.
"""

# Shared by every script. ARGV[1]: prefix, ARGV[2]: TTL in ms. Scripts build ``out``, the
# JSON reply: ``error``, ``code``, ``party`` (absent: gone), ``ticket`` and ``game`` (the
# queue left), ``pruned`` (lapsed members were dropped), and their own fields.
PRELUDE = """
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local function pkey(code) return prefix .. 'x:' .. code end
local function mkey(pid) return prefix .. 'm:' .. pid end
local function present(v) return v ~= nil and v ~= cjson.null end
local function load(code)
  local raw = redis.call('GET', pkey(code))
  if not raw then return nil end
  local p = cjson.decode(raw)
  if not present(p.queued) then p.queued = nil end
  if not present(p.ticket) then p.ticket = nil end
  return p
end
local function reseat(p)
  for _, m in ipairs(p.members) do if m.id == p.leader then return end end
  local first = p.members[1]
  for _, m in ipairs(p.members) do if m.joined < first.joined then first = m end end
  p.leader = first.id
end
local function unqueue(p, out)
  if p.queued then out.ticket, out.game = p.ticket, p.queued end
  p.queued, p.ticket = nil, nil
end
local function save(p, out)
  out.code, out.party = p.code, nil
  if #p.members == 0 then redis.call('DEL', pkey(p.code)) return end
  reseat(p)
  redis.call('SET', pkey(p.code), cjson.encode(p), 'PX', ttl)
  out.party = p
end
local function prune(p, out)
  local kept = {}
  for _, m in ipairs(p.members) do
    local f = redis.call('HMGET', mkey(m.id), 'code', 'channel')
    if f[1] == p.code and f[2] == m.channel then kept[#kept + 1] = m end
  end
  if #kept == #p.members then return end
  p.members, out.pruned = kept, true
  unqueue(p, out)
  save(p, out)
end
local function find(code, out)
  local p = load(code)
  if p ~= nil then prune(p, out) end
  if p == nil or #p.members == 0 then out.error = 'unknown_party' return nil end
  return p
end
local function membership(pid)
  local f = redis.call('HMGET', mkey(pid), 'code', 'channel')
  if not f[1] then return nil end
  local p = load(f[1])
  for _, m in ipairs(p and p.members or {}) do
    if m.id == pid and m.channel == f[2] then return f[1], f[2] end
  end
  redis.call('DEL', mkey(pid))
  return nil
end
local function enlist(pid, code, channel)
  redis.call('HSET', mkey(pid), 'code', code, 'channel', channel)
  redis.call('PEXPIRE', mkey(pid), ttl)
end
local out = {}
"""

# ARGV: party JSON, its leader, the leader's channel.
CREATE = """
local p = cjson.decode(ARGV[3])
if membership(ARGV[4]) then out.error = 'in_party'
elseif redis.call('EXISTS', pkey(p.code)) == 1 then out.error = 'taken'
else enlist(ARGV[4], p.code, ARGV[5]) save(p, out) end
return cjson.encode(out)
"""

# ARGV: code, member JSON, party size limit.
JOIN = """
local m = cjson.decode(ARGV[4])
local held = membership(m.id)
if held and held ~= ARGV[3] then out.error = 'in_party' return cjson.encode(out) end
local p = find(ARGV[3], out)
if p == nil then return cjson.encode(out) end
local moved = false
for _, x in ipairs(p.members) do
  if x.id == m.id then out.moved, x.channel, moved = x.channel, m.channel, true end
end
if not moved then
  if #p.members >= tonumber(ARGV[5]) then out.error = 'party_full' return cjson.encode(out) end
  p.members[#p.members + 1] = m
end
unqueue(p, out)
enlist(m.id, p.code, m.channel)
save(p, out)
return cjson.encode(out)
"""

# ARGV: player, channel ('' for any).
LEAVE = """
local f = redis.call('HMGET', mkey(ARGV[3]), 'code', 'channel')
if not f[1] or (ARGV[4] ~= '' and ARGV[4] ~= f[2]) then return cjson.encode(out) end
redis.call('DEL', mkey(ARGV[3]))
out.left, out.code = true, f[1]
local p = load(f[1])
if p == nil then return cjson.encode(out) end
local kept = {}
for _, m in ipairs(p.members) do if m.id ~= ARGV[3] then kept[#kept + 1] = m end end
p.members = kept
unqueue(p, out)
save(p, out)
return cjson.encode(out)
"""

# ARGV: code.
GET = """
local p = find(ARGV[3], out)
if p ~= nil then out.code, out.party = p.code, p end
return cjson.encode(out)
"""

# ARGV: player.
PARTY_OF = """
local code, channel = membership(ARGV[3])
if code then out.code, out.channel = code, channel end
return cjson.encode(out)
"""

# ARGV: code, leader, game, now, start TTL.
QUEUE = """
local p = find(ARGV[3], out)
if p == nil then return cjson.encode(out) end
if p.leader ~= ARGV[4] then out.error = 'not_leader'
elseif p.queued then out.error = 'already_queued'
elseif (p.starting or 0) > tonumber(ARGV[6]) - tonumber(ARGV[7]) then out.error = 'in_match'
else p.queued, p.ticket = ARGV[5], ARGV[4] save(p, out) end
return cjson.encode(out)
"""

# ARGV: code, game ('' for any).
UNQUEUE = """
local p = find(ARGV[3], out)
if p == nil or not p.queued or (ARGV[4] ~= '' and ARGV[4] ~= p.queued) then
  return cjson.encode(out)
end
unqueue(p, out)
out.done = true
save(p, out)
return cjson.encode(out)
"""

# ARGV: code, leader, now, start TTL.
START = """
local p = find(ARGV[3], out)
if p == nil then return cjson.encode(out) end
if p.leader ~= ARGV[4] then out.error = 'not_leader'
elseif p.queued then out.error = 'already_queued'
elseif (p.starting or 0) > tonumber(ARGV[5]) - tonumber(ARGV[6]) then out.error = 'in_match'
else p.starts, p.starting = (p.starts or 0) + 1, tonumber(ARGV[5]) save(p, out) end
return cjson.encode(out)
"""

# ARGV: code, member ids (JSON list).
STARTED = """
local p = find(ARGV[3], out)
if p == nil then return cjson.encode(out) end
p.starting = 0
save(p, out)
local ids = cjson.decode(ARGV[4])
out.same = #ids == #p.members
for i, m in ipairs(p.members) do out.same = out.same and ids[i] == m.id end
return cjson.encode(out)
"""

# ARGV: player, channel, player, channel...
REFRESH = """
for i = 3, #ARGV, 2 do
  local f = redis.call('HMGET', mkey(ARGV[i]), 'code', 'channel')
  if f[1] and f[2] == ARGV[i + 1] then
    redis.call('PEXPIRE', mkey(ARGV[i]), ttl)
    redis.call('PEXPIRE', pkey(f[1]), ttl)
  end
end
return cjson.encode(out)
"""
