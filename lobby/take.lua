-- One matchmaking pass over one game's queue, atomically: the Lua twin of
-- lobby/grouping.py (read its docstring for the rules; the contract tests hold the two
-- to the same groups).
-- KEYS: the rating queue (r:<game>), the arrival queue (q:<game>).
-- ARGV: prefix, min players, max players, now, fill timeout, placing TTL (ms),
--       window base, window widening per second, the most groups to form in this call
--       (a call that forms that many leaves the rest for the next: Redis serves nobody
--       else while a script runs).
-- The rating queue's members are '<arrival, fixed width>|<seats, 3 digits>|<player>'
-- scored by rating, so one ZRANGE lists the tickets by (rating, arrival, seats, player).
-- A ticket takes its seats (a party's: one per member) and is never split; a party
-- alone never forms a group.
-- Returns the groups formed, each a list of tickets (JSON) in arrival order.
local prefix, low, high = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now, fill, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local base, widen, most = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])

local flat = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local n = #flat / 2
local member, id, since, rating, reach, taken, index = {}, {}, {}, {}, {}, {}, {}
local size, total = {}, 0
for i = 1, n do
  local m = flat[2 * i - 1]
  local bar = string.find(m, '|', 1, true)
  local bar2 = string.find(m, '|', bar + 1, true)
  member[i], id[i] = m, string.sub(m, bar2 + 1)
  size[i] = tonumber(string.sub(m, bar + 1, bar2 - 1))
  total = total + size[i]
  since[i], rating[i] = tonumber(string.sub(m, 1, bar - 1)), tonumber(flat[2 * i])
  reach[i] = base + widen * math.max(0, now - since[i])
  taken[i], index[id[i]] = false, i
end
if total < low then return {} end

-- Skip pointers over taken tickets: free_up(i) is the first free one from i (n + 1: none).
local up = {}
for i = 1, n + 1 do up[i] = i end
local function free_up(i)
  while up[i] ~= i do
    up[i] = up[up[i]]
    i = up[i]
  end
  return i
end
local function take(group)
  for _, i in ipairs(group) do
    taken[i] = true
    up[i] = i + 1
  end
end

-- Full groups: the closest compatible group anchored at each lowest rating, in a heap.
-- anchored() leaves the members above the anchor in buf[1..bn].
local buf, bn, kept = {}, 0, {}
local function anchored(a, seats)
  local ra = rating[a]
  local top = ra + reach[a]
  bn = 0
  if size[a] >= seats then return nil end  -- a party alone is no group
  local j = free_up(a + 1)
  while j <= n and rating[j] <= top do
    local rj = rating[j]
    if rj - reach[j] <= ra then
      local k, got = 0, size[a] + size[j]
      for m = 1, bn do
        local i = buf[m]
        if rating[i] + reach[i] >= rj then k = k + 1; kept[k] = i; got = got + size[i] end
      end
      if got <= seats then  -- a ticket whose seats do not fit is passed over
        for m = 1, k do buf[m] = kept[m] end
        bn = k + 1
        buf[bn] = j
      end
      if got == seats then
        local oldest = since[a]
        for m = 1, bn do oldest = math.min(oldest, since[buf[m]]) end
        return rj - ra, oldest
      end
    end
    j = free_up(j + 1)
  end
  return nil
end

-- A binary heap of (spread, oldest arrival, anchor) in three parallel arrays.
local hs, ho, ha, hn = {}, {}, {}, 0
local function before(i, j)
  if hs[i] ~= hs[j] then return hs[i] < hs[j] end
  if ho[i] ~= ho[j] then return ho[i] < ho[j] end
  return ha[i] < ha[j]
end
local function swap(i, j)
  hs[i], hs[j] = hs[j], hs[i]
  ho[i], ho[j] = ho[j], ho[i]
  ha[i], ha[j] = ha[j], ha[i]
end
local function sift_down(i)
  while true do
    local l, m = 2 * i, i
    if l <= hn and before(l, m) then m = l end
    if l + 1 <= hn and before(l + 1, m) then m = l + 1 end
    if m == i then return end
    swap(i, m)
    i = m
  end
end
local function push(spread, oldest, a)
  hn = hn + 1
  hs[hn], ho[hn], ha[hn] = spread, oldest, a
  local i = hn
  while i > 1 and before(i, math.floor(i / 2)) do
    swap(i, math.floor(i / 2))
    i = math.floor(i / 2)
  end
end
local function pop()
  local spread, oldest, a = hs[1], ho[1], ha[1]
  hs[1], ho[1], ha[1] = hs[hn], ho[hn], ha[hn]
  hs[hn], ho[hn], ha[hn] = nil, nil, nil
  hn = hn - 1
  sift_down(1)
  return spread, oldest, a
end

local groups = {}
for a = 1, n do
  local spread, oldest = anchored(a, high)
  if spread then
    hn = hn + 1
    hs[hn], ho[hn], ha[hn] = spread, oldest, a
  end
end
for i = math.floor(hn / 2), 1, -1 do sift_down(i) end
while hn > 0 and #groups < most do
  local spread, oldest, a = pop()
  if not taken[a] then
    local now_spread, now_oldest = anchored(a, high)
    if now_spread == spread and now_oldest == oldest then
      local group = {a}
      for m = 1, bn do group[m + 1] = buf[m] end
      take(group)
      groups[#groups + 1] = group
    elseif now_spread then
      push(now_spread, now_oldest, a)
    end
  end
end

-- Smaller groups: each ticket past the fill timeout, oldest first, gathers nearest first.
local function free_down(i)
  while i >= 1 and taken[i] do i = i - 1 end
  return i
end
local function free_above(i)
  i = free_up(i)
  if i > n then return 0 end
  return i
end
local function first(x, y)
  if since[x] ~= since[y] then return since[x] < since[y] end
  return id[x] < id[y]
end
local function gather(t)
  local group, lo, hi, seats = {t}, rating[t], rating[t], size[t]
  local floor, ceiling = rating[t] - reach[t], rating[t] + reach[t]
  local below, above = free_down(t - 1), free_above(t + 1)
  while seats < high and (below > 0 or above > 0) do
    local side = 1
    if above == 0 then
      side = -1
    elseif below > 0 then
      local down, up = rating[t] - rating[below], rating[above] - rating[t]
      if down < up or (down == up and first(below, above)) then side = -1 end
    end
    local c = above
    if side < 0 then c = below end
    if rating[c] < floor or rating[c] > ceiling then
      if side < 0 then below = 0 else above = 0 end
    else
      local fits = seats + size[c] <= high
      if fits and rating[c] - reach[c] <= lo and rating[c] + reach[c] >= hi then
        group[#group + 1] = c
        seats = seats + size[c]
        lo, hi = math.min(lo, rating[c]), math.max(hi, rating[c])
        floor = math.max(floor, rating[c] - reach[c])
        ceiling = math.min(ceiling, rating[c] + reach[c])
      end
      if side < 0 then below = free_down(c - 1) else above = free_above(c + 1) end
    end
  end
  return group, seats
end

if low < high and #groups < most then
  local due
  if fill <= 0 then
    due = redis.call('ZRANGE', KEYS[2], 0, -1)
  else
    due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - fill)
  end
  for _, pid in ipairs(due) do
    local t = index[pid]
    if t and not taken[t] and #groups < most then
      local group, seats = gather(t)
      if seats >= low and (#group > 1 or size[t] == 1) then
        take(group)
        groups[#groups + 1] = group
      end
    end
  end
end

-- Pop the groups: every member must still be queued with this very entry.
local out = {}
for _, group in ipairs(groups) do
  table.sort(group, first)
  local tickets, members, ids, whole = {}, {}, {}, true
  for k, i in ipairs(group) do
    local f = redis.call('HMGET', prefix .. 'p:' .. id[i], 'state', 'ticket', 'rank')
    if f[1] ~= 'queued' or f[3] ~= member[i] then  -- a stray entry: drop it
      redis.call('ZREM', KEYS[1], member[i])
      if f[1] ~= 'queued' then redis.call('ZREM', KEYS[2], id[i]) end
      whole = false
    end
    tickets[k], members[k], ids[k] = f[2], member[i], id[i]
  end
  if whole then
    redis.call('ZREM', KEYS[1], unpack(members))
    redis.call('ZREM', KEYS[2], unpack(ids))
    for _, pid in ipairs(ids) do
      local key = prefix .. 'p:' .. pid
      redis.call('HSET', key, 'state', 'placing')
      redis.call('PEXPIRE', key, ttl)
    end
    out[#out + 1] = tickets
  end
end
return out
